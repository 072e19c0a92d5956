"""Machine-readable renderings: the contract's JSON, and a CSV with one row per student."""

from __future__ import annotations

import csv
import io
import json

from grader.records import Report


def to_json(reports: list[Report], *, single: bool, student_view: bool = False, similar_pairs=()) -> str:
    """One report object for one submission given as such; {"submissions": [...], "similar_pairs":
    [...]} otherwise. In the student view, hidden checks keep their points and lose their feedback."""
    data = [r.to_json(student_view=student_view) for r in reports]
    if single and len(data) == 1:
        return json.dumps(data[0], indent=2)
    return json.dumps({"submissions": data, "similar_pairs": list(similar_pairs)}, indent=2)


def to_csv(reports: list[Report]) -> str:
    check_ids = []
    for report in reports:
        for check in report.checks:
            if check.id not in check_ids:
                check_ids.append(check.id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["student", "submission", *check_ids, "score", "max_score", "flags"])
    for report in reports:
        scores = {c.id: c.score for c in report.checks}
        if not report.graded:  # no grade at all: empty cells, never zeros a spreadsheet would take
            writer.writerow([report.student, report.submission, *("" for _ in check_ids), "",
                             f"{report.max_score:g}", "; ".join((f"not graded: the grader failed: "
                                                                  f"{report.grader_failure}", *report.flags))])
            continue
        writer.writerow([report.student, report.submission, *(f"{scores.get(i, 0):g}" for i in check_ids),
                         f"{report.score:g}", f"{report.max_score:g}", "; ".join(report.flags)])
    return out.getvalue()
