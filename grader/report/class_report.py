"""A class at a glance (`grade CLASS --report FILE.html`): one self-contained HTML file, nothing
loaded from the network, no script. How the scores fall (a histogram), each check's pass rate
(bars; hidden checks marked), the most common reasons each check was missed and how many got
each, copied-work pairs, then every student (lowest score first: who needs help) linking to a
section with their checks. Plots are matplotlib's, inline as SVG.
"""

from __future__ import annotations

import html
import io
from collections import Counter

import matplotlib

matplotlib.use("svg")  # no display, and the figures go into the page as vector text
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)

from grader.records import HIDDEN, PASSED, Report  # noqa: E402

REASON_CHARS = 160
"""Feedback is grouped on its first sentence, at most this long (numbers in it vary by student)."""
STYLE = """
body { font-family: sans-serif; margin: 2em; color: #222; max-width: 1100px; }
table { border-collapse: collapse; margin: 1em 0; } td, th { border-bottom: 1px solid #ddd; padding: .3em .6em;
text-align: left; vertical-align: top; } .failed { color: #b42318; } .passed { color: #1a7f37; }
figure { display: inline-block; margin: 0 1em 1em 0; } .muted { color: #666; }
"""


def render(reports: list[Report], *, title: str, similar: list[dict] = ()) -> str:
    """The class report's HTML."""
    checks = _check_order(reports)
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{_e(title)}</title>",
             f"<style>{STYLE}</style></head><body>", f"<h1>{_e(title)}</h1>", _overview(reports),
             "<section id='plots'>", _figure(_histogram(reports), "How the scores fall"),
             _figure(_pass_rates(reports, checks), "Each check's pass rate"), "</section>",
             _reasons(reports, checks), _similar(similar), _students(reports)]
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
    scores = [r.score for r in reports]
    top = max((r.max_score for r in reports), default=0)
    mean = sum(scores) / len(scores) if scores else 0
    flagged = sum(1 for r in reports if r.flags)
    return (f"<p id='overview'>{len(reports)} submissions; mean score {mean:.1f} / {top:g}; "
            f"{sum(1 for s in scores if s == top)} full marks; {flagged} flagged for the instructor.</p>")


def _svg(figure) -> str:
    out = io.StringIO()
    figure.savefig(out, format="svg", bbox_inches="tight")
    plt.close(figure)
    text = out.getvalue()
    return text[text.index("<svg"):]  # the page is the document: drop the XML prologue


def _figure(svg: str, caption: str) -> str:
    return f"<figure>{svg}<figcaption>{_e(caption)}</figcaption></figure>"


def _histogram(reports: list[Report]) -> str:
    top = max((r.max_score for r in reports), default=1) or 1
    figure, axes = plt.subplots(figsize=(5, 3))
    axes.hist([r.score for r in reports], bins=range(0, int(top) + 2), align="left", color="#4c72b0",
              edgecolor="white")
    axes.set_xlabel("score")
    axes.set_ylabel("students")
    axes.set_xlim(-0.5, top + 0.5)
    axes.yaxis.get_major_locator().set_params(integer=True)
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
    rows = []
    for check_id, name, visibility in checks:
        missed = [c for r in reports for c in r.checks if c.id == check_id and c.status != PASSED]
        if not missed:
            continue
        common = Counter(_reason(c.feedback) for c in missed).most_common(3)
        reasons = "".join(f"<li>{count} &times; {_e(reason)}</li>" for reason, count in common)
        hidden = " <span class='muted'>(hidden)</span>" if visibility == HIDDEN else ""
        rows.append(f"<tr data-check='{_e(check_id)}'><td><code>{_e(check_id)}</code>{hidden}<br>{_e(name)}</td>"
                    f"<td>{len(missed)}</td><td><ul>{reasons}</ul></td></tr>")
    body = "".join(rows) or "<tr><td colspan='3'>Every student passed every check.</td></tr>"
    return ("<section id='reasons'><h2>Why checks were missed</h2><table><tr><th>check</th><th>missed by</th>"
            f"<th>most common reasons</th></tr>{body}</table></section>")


def _similar(similar) -> str:
    if not similar:
        return "<section id='similar'><h2>Copied work</h2><p>No pair of submissions looks copied.</p></section>"
    rows = "".join(f"<tr><td><a href='#student-{_e(a)}'>{_e(a)}</a></td><td><a href='#student-{_e(b)}'>{_e(b)}</a>"
                   f"</td><td>{pair['similarity']:.0%}</td></tr>"
                   for pair in similar for a, b in [pair["students"]])
    return ("<section id='similar'><h2>Copied work</h2><p>Pairs whose own code (the released notebook left out) "
            "is alike, renamed variables and reordered functions included: look before you judge.</p>"
            f"<table><tr><th>student</th><th>student</th><th>similarity</th></tr>{rows}</table></section>")


def _students(reports: list[Report]) -> str:
    rows = []
    for report in sorted(reports, key=lambda r: (r.score, r.student)):
        failed = ", ".join(c.id for c in report.checks if c.status != PASSED) or "none"
        flags = "; ".join(report.flags) or ""
        rows.append(f"<tr data-student='{_e(report.student)}'><td><a href='#student-{_e(report.student)}'>"
                    f"{_e(report.student)}</a></td><td>{report.score:g} / {report.max_score:g}</td>"
                    f"<td>{_e(failed)}</td><td>{_e(flags)}</td><td>{report.seconds:.0f} s</td></tr>")
    return ("<section id='students'><h2>Students, lowest score first</h2><table><tr><th>student</th><th>score</th>"
            f"<th>failed checks</th><th>flags</th><th>time</th></tr>{''.join(rows)}</table></section>")


def _student_section(report: Report) -> str:
    rows = "".join(f"<tr><td class='{c.status}'>{c.status}</td><td><code>{_e(c.id)}</code></td>"
                   f"<td>{c.score:g} / {c.max_score:g}</td><td>{_e(c.feedback)}</td></tr>" for c in report.checks)
    problem = f"<p class='failed'>{_e(report.problem)}</p>" if report.problem else ""
    return (f"<section class='student' id='student-{_e(report.student)}'><h3>{_e(report.student)}: "
            f"{report.score:g} / {report.max_score:g}</h3><p class='muted'>{_e(report.submission)}</p>{problem}"
            f"<table>{rows}</table></section>")
