"""One feedback page per student, outside nbgrader (`grade CLASS --feedback DIR`): DIR/<student>.html,
the same rule as the nbgrader feedback page: every check's name, points and result, the missed
ones first with why; a hidden check shows its points only (CheckResult.student_feedback)."""

from __future__ import annotations

import html
from pathlib import Path

from grader.atomic import write_atomically
from grader.records import PASSED, Report

STYLE = ("body{font-family:sans-serif;margin:2em;max-width:1000px;color:#222} td,th{text-align:left;"
         "vertical-align:top;padding:.3em .6em;border-bottom:1px solid #ddd} table{border-collapse:collapse}"
         ".failed{color:#b42318}.passed{color:#1a7f37}")


def page(report: Report) -> str:
    rows = []
    for check in sorted(report.checks, key=lambda c: c.status == PASSED):  # the missed ones first
        result = "passed" if check.status == PASSED else "not passed"
        rows.append(f"<tr class='{check.status}' data-check='{html.escape(check.id)}'><td>{html.escape(check.name)}"
                    f"</td><td>{check.score:g} / {check.max_score:g}</td><td class='{check.status}'>{result}</td>"
                    f"<td>{html.escape(check.student_feedback)}</td></tr>")
    problem = f"<p class='failed'>{html.escape(report.problem)}</p>" if report.problem else ""
    notes = "".join(f"<li>{html.escape(note)}</li>" for note in report.notes)
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Feedback: {html.escape(report.student)}"
            f"</title><style>{STYLE}</style></head><body><h1>Your grade: {report.score:g} / {report.max_score:g}</h1>"
            f"{problem}<table><tr><th>check</th><th>points</th><th>result</th><th>why</th></tr>{''.join(rows)}"
            f"</table>{f'<ul>{notes}</ul>' if notes else ''}</body></html>")


def write_all(reports: list[Report], folder: Path) -> list[Path]:
    """DIR/<student>.html for each graded report (each written atomically; the grader's failure
    is no feedback, and an earlier page stays); the files written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for report in (r for r in reports if r.graded):
        target = folder / f"{report.student}.html"
        write_atomically(target, page(report))
        written.append(target)
    return written
