"""A readable table per submission, for instructors (hidden checks included) or students."""

from __future__ import annotations

import shutil
import textwrap

from grader.records import HIDDEN, PASSED, Report


def render(report: Report, *, student_view: bool = False, width: int | None = None) -> str:
    width = width or min(shutil.get_terminal_size((110, 20)).columns, 130)
    lines = [f"{report.student}  {_points(report.score)} / {_points(report.max_score)}   ({report.submission})"]
    if report.problem:
        lines += _wrap("PROBLEM: " + report.problem, width, "  ")
    for flag in report.flags:
        lines += _wrap("FLAG: " + flag, width, "  ")
    id_width = max(len(c.id) for c in report.checks) if report.checks else 10
    for check in report.checks:
        mark = "ok  " if check.status == PASSED else "FAIL"
        points = f"{_points(check.score)}/{_points(check.max_score)}"
        hidden = " (hidden)" if check.visibility == HIDDEN else ""
        lines.append(f"  {mark} {check.id:<{id_width}} {points:>7}  {check.name}{hidden}")
        feedback = check.student_feedback if student_view else check.feedback
        if feedback and check.status != PASSED:
            lines += _wrap(feedback, width, " " * 9)
    for note in report.notes:
        lines += _wrap("note: " + note, width, "  ")
    return "\n".join(lines)


def render_summary(reports: list[Report]) -> str:
    if not reports:
        return "No submissions."
    name_width = max(8, max(len(r.student) for r in reports))
    lines = [f"{'student':<{name_width}}  {'score':>11}  failed checks"]
    for report in reports:
        failed = [c.id for c in report.checks if c.status != PASSED]
        summary = "none" if not failed else (", ".join(failed) if len(failed) <= 4 else f"{len(failed)} checks")
        if report.problem:
            summary = "not gradable: " + report.problem.splitlines()[0][:60]
        score = f"{_points(report.score)} / {_points(report.max_score)}"
        lines.append(f"{report.student:<{name_width}}  {score:>11}  {summary}")
    return "\n".join(lines)


def _points(value: float) -> str:
    return f"{value:g}"


def _wrap(text: str, width: int, indent: str) -> list[str]:
    out = []
    for paragraph in str(text).splitlines() or [""]:
        out += textwrap.wrap(paragraph, width=max(40, width - len(indent)), initial_indent=indent,
                             subsequent_indent=indent, break_long_words=True) or [indent]
    return out
