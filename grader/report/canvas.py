"""A Canvas gradebook import file (`grade PATH... --lms canvas --roster ROSTER.csv --out GRADES.csv`).

The roster is Canvas's own gradebook export: columns Student, ID, SIS User ID, SIS Login ID,
Section, maybe assignment columns, maybe a "Points Possible" row under the header. The file
written keeps those five columns and the Points Possible row, and adds one column for this
assignment holding each student's total. A report's student (its folder's name, or nbgrader's
student id) is matched to SIS Login ID, else SIS User ID, else ID; roster students without a
submission get an empty cell; submissions whose student is not on the roster get no row and are
returned, so that the caller can list them.
"""

from __future__ import annotations

import csv
import io

from grader.records import Report

KEPT = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
MATCHED_BY = ("SIS Login ID", "SIS User ID", "ID")


class RosterError(ValueError):
    """The roster is not a Canvas gradebook export (the message names the file and what is missing)."""


def gradebook(reports: list[Report], roster: str, *, column: str,
              roster_name: str = "the roster") -> tuple[str, list[str]]:
    """(the import file's text, students graded but not on the roster). `column` is the assignment's
    title: a name Canvas does not know yet makes it create the assignment. A submission the grader
    failed on gets an empty cell, as a student without one: Canvas then keeps the grade it has."""
    rows = roster_rows(roster, roster_name)
    by_row: dict[int, Report] = {}
    unmatched = []
    for report in reports:
        row = _row_of(report.student, rows)
        if row is None:
            unmatched.append(report.student)
        else:
            by_row[row] = report
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*KEPT, column])
    for index, row in enumerate(rows):
        if row["Student"].strip() == "Points Possible":
            points = max((r.max_score for r in reports), default=0)
            writer.writerow([row[c] for c in KEPT] + [f"{points:g}"])
            continue
        report = by_row.get(index)
        graded = report is not None and report.graded
        writer.writerow([row[c] for c in KEPT] + [f"{report.score:g}" if graded else ""])
    return out.getvalue(), sorted(unmatched)


def roster_rows(roster: str, roster_name: str = "the roster") -> list[dict]:
    """The roster's rows; RosterError if it lacks one of the columns kept."""
    reader = csv.DictReader(io.StringIO(roster.lstrip("\ufeff")))
    missing = [column for column in KEPT if column not in (reader.fieldnames or [])]
    if missing:
        raise RosterError(f"{roster_name}, line 1: no column {', '.join(missing)}; export the gradebook from "
                          "Canvas (Grades > Export) and give that file")
    return list(reader)


def _row_of(student: str, rows: list[dict]) -> int | None:
    """The roster row of a submission's student: by SIS Login ID, else SIS User ID, else ID."""
    for column in MATCHED_BY:
        for index, row in enumerate(rows):
            if student and (row.get(column) or "").strip() == student:
                return index
    return None
