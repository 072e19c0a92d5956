"""A class at a glance (`grade CLASS --report FILE.html`): one self-contained HTML file, nothing
loaded from the network, no script. How the scores fall (a histogram), each check's pass rate
(bars; hidden checks marked), the most common reasons each check was missed and how many got
each, copied-work pairs, then every student (lowest score first: who needs help) linking to a
section with their checks and their staff log (collapsed). Plots are matplotlib's, inline as SVG.

A submission the grader itself failed on (Report.grader_failure) has no score: it is flagged for
the instructor, listed first, and left out of the mean, the histogram, the pass rates and the
reasons. Among the reasons a check was missed, a stub left untouched (the check ran into its
NotImplementedError) is counted apart, so the mistakes of those who wrote the code show.
"""

from __future__ import annotations

import html
import io
from collections import Counter

import matplotlib

matplotlib.use("svg")  # no display, and the figures go into the page as vector text
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)
from matplotlib.ticker import MaxNLocator  # noqa: E402

from grader.records import HIDDEN, PASSED, Report  # noqa: E402

REASON_CHARS = 160
"""Feedback is grouped on its first sentence, at most this long (numbers in it vary by student)."""
STUB = "(it still raises NotImplementedError)"
"""In the feedback of a check that ran into a stub left untouched (grader.checks.explain.NOT_IMPLEMENTED,
not imported: it would import Ray into the report)."""
STAFF_LOG_CHARS = (10_000, 30_000)
"""The start and the end of a staff log the page shows (where a failure is told); the middle of a
longer one is left out, said so (the whole log: grade --json, or the --results folder)."""
STYLE = """
body { font-family: sans-serif; margin: 2em; color: #222; max-width: 1100px; }
table { border-collapse: collapse; margin: 1em 0; } td, th { border-bottom: 1px solid #ddd; padding: .3em .6em;
text-align: left; vertical-align: top; } .failed { color: #b42318; } .passed { color: #1a7f37; }
figure { display: inline-block; margin: 0 1em 1em 0; } .muted { color: #666; }
details.staff-log pre { background: #f6f8fa; padding: .6em; overflow-x: auto; white-space: pre-wrap; font-size: 85%; }
"""


def render(reports: list[Report], *, title: str, similar: list[dict] = ()) -> str:
    """The class report's HTML."""
    checks = _check_order(reports)
    graded = [r for r in reports if r.graded]
    left_out = f" ({len(reports) - len(graded)} not graded left out)" if len(graded) < len(reports) else ""
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{_e(title)}</title>",
             f"<style>{STYLE}</style></head><body>", f"<h1>{_e(title)}</h1>", _overview(reports),
             "<section id='plots'>", _figure(_histogram(graded), "How the scores fall" + left_out),
             _figure(_pass_rates(graded, checks), "Each check's pass rate" + left_out), "</section>",
             _reasons(graded, checks), _similar(similar), _students(reports)]
    parts += [_student_section(report) for report in reports]
    parts.append("</body></html>")
    return "\n".join(parts)


def _e(text) -> str:
    return html.escape(str(text))


def _check_order(reports: list[Report]) -> list[tuple[str, str, str]]:
    seen: dict[str, tuple[str, str, str]] = {}
    for report in reports:
        for check in report.checks:
            seen.setdefault(check.id, (check.id, check.name, check.visibility))
    return list(seen.values())


def _overview(reports: list[Report]) -> str:
    scores = [r.score for r in reports if r.graded]
    top = max((r.max_score for r in reports), default=0)
    mean = f"{sum(scores) / len(scores):.1f}" if scores else "none"
    flagged = sum(1 for r in reports if r.flags or not r.graded)
    not_graded = len(reports) - len(scores)
    failures = (f" ({not_graded} not graded: the grader failed on {'it' if not_graded == 1 else 'them'}, "
                "so there is no score to count)") if not_graded else ""
    return (f"<p id='overview'>{len(reports)} submissions; mean score {mean} / {top:g}; "
            f"{sum(1 for s in scores if s == top)} full marks; {flagged} flagged for the instructor{failures}.</p>")


def not_graded(report: Report) -> str:
    """What the instructor reads of a report the grader failed on; "" for a graded one."""
    return f"not graded: the grader failed: {report.grader_failure}" if not report.graded else ""


def is_stub(feedback: str) -> bool:
    """Whether a check was missed because it ran into a stub left as released (NotImplementedError)."""
    return STUB in feedback


def _svg(figure) -> str:
    out = io.StringIO()
    figure.savefig(out, format="svg", bbox_inches="tight")
    plt.close(figure)
    text = out.getvalue()
    return text[text.index("<svg"):]  # the page is the document: drop the XML prologue


def _figure(svg: str, caption: str) -> str:
    return f"<figure>{svg}<figcaption>{_e(caption)}</figcaption></figure>"


def _histogram(reports: list[Report]) -> str:
    """The graded reports' scores, one bar per whole point, ticks on whole points only."""
    top = max((r.max_score for r in reports), default=1) or 1
    figure, axes = plt.subplots(figsize=(5, 3))
    axes.hist([r.score for r in reports], bins=range(0, int(top) + 2), align="left", color="#4c72b0",
              edgecolor="white")
    axes.set_xlabel("score")
    axes.set_ylabel("students")
    axes.set_xlim(-0.5, top + 0.5)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    return _svg(figure)


def _pass_rates(reports: list[Report], checks) -> str:
    rates = []
    for check_id, _, visibility in checks:
        graded = [c for r in reports for c in r.checks if c.id == check_id]
        rate = sum(c.status == PASSED for c in graded) / len(graded) if graded else 0
        rates.append((check_id + (" (hidden)" if visibility == HIDDEN else ""), rate, visibility == HIDDEN))
    figure, axes = plt.subplots(figsize=(6, 0.3 * len(rates) + 1))
    bars = axes.barh([label for label, _, _ in rates], [100 * rate for _, rate, _ in rates], color="#55a868")
    for bar, (_, _, hidden) in zip(bars, rates, strict=True):
        if hidden:
            bar.set_hatch("//")
            bar.set_color("#8c8c8c")
    axes.invert_yaxis()
    axes.set_xlim(0, 100)
    axes.set_xlabel("% of students who passed")
    return _svg(figure)


def _reason(feedback: str) -> str:
    first = feedback.strip().split(". ")[0].splitlines()[0] if feedback.strip() else "(no feedback)"
    return first if len(first) <= REASON_CHARS else first[: REASON_CHARS - 3] + "..."


def _reasons(reports: list[Report], checks) -> str:
    """Each missed check's most common reasons among those who wrote the code, then how many ran
    into a stub left untouched (graded reports only)."""
    rows = []
    for check_id, name, visibility in checks:
        missed = [c for r in reports for c in r.checks if c.id == check_id and c.status != PASSED]
        if not missed:
            continue
        stubs = sum(1 for c in missed if is_stub(c.feedback))
        common = Counter(_reason(c.feedback) for c in missed if not is_stub(c.feedback)).most_common(3)
        reasons = "".join(f"<li>{count} &times; {_e(reason)}</li>" for reason, count in common)
        if stubs:
            reasons += (f"<li class='muted stub'>{stubs} &times; the stub left untouched (it still raises "
                        "NotImplementedError): not written yet, not a mistake</li>")
        hidden = " <span class='muted'>(hidden)</span>" if visibility == HIDDEN else ""
        rows.append(f"<tr data-check='{_e(check_id)}' data-mistakes='{len(missed) - stubs}' data-stubs='{stubs}'>"
                    f"<td><code>{_e(check_id)}</code>{hidden}<br>{_e(name)}</td>"
                    f"<td>{len(missed)}</td><td><ul>{reasons}</ul></td></tr>")
    body = "".join(rows) or "<tr><td colspan='3'>Every student passed every check.</td></tr>"
    return ("<section id='reasons'><h2>Why checks were missed</h2><p class='muted'>The mistakes of those who "
            "wrote the code first; a stub left as released is counted apart.</p><table><tr><th>check</th>"
            f"<th>missed by</th><th>most common reasons</th></tr>{body}</table></section>")


def _similar(similar) -> str:
    if not similar:
        return "<section id='similar'><h2>Copied work</h2><p>No pair of submissions looks copied.</p></section>"
    rows = "".join(f"<tr><td><a href='#student-{_e(a)}'>{_e(a)}</a></td><td><a href='#student-{_e(b)}'>{_e(b)}</a>"
                   f"</td><td>{pair['similarity']:.0%}</td></tr>"
                   for pair in similar for a, b in [pair["students"]])
    return ("<section id='similar'><h2>Copied work</h2><p>Pairs whose own code (the released notebook left out) "
            "is alike, renamed variables and reordered functions included: look before you judge.</p>"
            f"<table><tr><th>student</th><th>student</th><th>similarity</th></tr>{rows}</table></section>")


def _score(report: Report) -> str:
    return f"{report.score:g} / {report.max_score:g}" if report.graded else "not graded"


def _seconds(report: Report) -> str:
    return f"{report.seconds:.0f} s" + (" (an earlier run)" if report.reused else "")


def _students(reports: list[Report]) -> str:
    """Those not graded first (the grader failed: look at them), then the lowest score first."""
    rows = []
    for report in sorted(reports, key=lambda r: (r.graded, r.score, r.student)):
        failed = (", ".join(c.id for c in report.checks if c.status != PASSED) or "none") if report.graded else ""
        flags = "; ".join(filter(None, (not_graded(report), *report.flags)))
        rows.append(f"<tr data-student='{_e(report.student)}'><td><a href='#student-{_e(report.student)}'>"
                    f"{_e(report.student)}</a></td><td>{_score(report)}</td>"
                    f"<td>{_e(failed)}</td><td>{_e(flags)}</td><td>{_seconds(report)}</td></tr>")
    first = "those not graded first, then the lowest score" if not all(r.graded for r in reports) else "lowest score"
    return (f"<section id='students'><h2>Students, {first} first</h2><table><tr><th>student</th><th>score</th>"
            f"<th>failed checks</th><th>flags</th><th>time</th></tr>{''.join(rows)}</table></section>")


def _staff_log(log: str) -> str:
    """The staff log, collapsed; the middle of a long one left out (said so)."""
    if not log.strip():
        return ""
    head, tail = STAFF_LOG_CHARS
    lines = log.count("\n") + 1
    if len(log) > head + tail:
        log = (f"{log[:head]}\n\n... {len(log) - head - tail} characters left out here (the whole log: "
               f"grade --json, or the --results folder) ...\n\n{log[-tail:]}")
    return (f"<details class='staff-log'><summary>staff log ({lines} lines; the grader's "
            f"diagnostics, never shown to the student)</summary><pre>{_e(log)}</pre></details>")


def _student_section(report: Report) -> str:
    status = "{}" if report.graded else "not graded"  # the grader failed: no check has a verdict
    rows = "".join(f"<tr><td class='{c.status}'>{status.format(c.status)}</td><td><code>{_e(c.id)}</code></td>"
                   f"<td>{c.score:g} / {c.max_score:g}</td><td>{_e(c.feedback)}</td></tr>" for c in report.checks)
    said = [(report.problem, "failed"), (not_graded(report), "failed grader-failure"),
            *((flag, "flag") for flag in report.flags)]
    paragraphs = "".join(f"<p class='{kind}'>{_e(text)}</p>" for text, kind in said if text)
    reused = " (taken from an earlier run's saved results)" if report.reused else ""
    return (f"<section class='student' id='student-{_e(report.student)}'><h3>{_e(report.student)}: "
            f"{_score(report)}</h3><p class='muted'>{_e(report.submission)}{reused}</p>{paragraphs}"
            f"<table>{rows}</table>{_staff_log(report.staff_log)}</section>")
