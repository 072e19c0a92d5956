"""A readable table per submission, for instructors (hidden checks included) or students."""

from __future__ import annotations

import shutil
import textwrap

from grader.records import HIDDEN, PASSED, Report


def render(report: Report, *, student_view: bool = False, width: int | None = None) -> str:
    width = width or min(shutil.get_terminal_size((110, 20)).columns, 130)
    score = f"{_points(report.score)} / {_points(report.max_score)}" if report.graded else "NOT GRADED"
    reused = "; reused from --results" if report.reused else ""
    lines = [f"{report.student}  {score}   ({report.submission}{reused})"]
    if report.grader_failure:
        lines += _wrap(f"GRADER FAILED: {report.grader_failure}. This is not a grade: fix the cause (the staff "
                       "log below, or in --json) and grade again.", width, "  ")
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
    if report.grader_failure and not student_view and report.staff_log:
        lines.append("  staff log:")
        lines += [" " * 4 + line for line in report.staff_log.splitlines()[-40:]]
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
        if not report.graded:
            summary = "the grader failed: " + report.grader_failure.splitlines()[0][:60]
        score = f"{_points(report.score)} / {_points(report.max_score)}" if report.graded else "not graded"
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
