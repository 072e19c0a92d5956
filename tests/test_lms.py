"""The Canvas gradebook import file: a roster as Canvas exports it (with a Points Possible row and
an assignment column of its own), a student without a submission, a submission whose student is
not on the roster, and each way of matching a student (SIS Login ID, SIS User ID, ID)."""

from __future__ import annotations

import csv
import io
import subprocess
import sys

import pytest

from grader.course_notebooks import notebook_code
from grader.records import CheckResult, Report
from grader.report.canvas import KEPT, RosterError, gradebook
from conftest import ACTOR_TREE

ROSTER = """\ufeffStudent,ID,SIS User ID,SIS Login ID,Section,Lab 1 (1201),Current Score
    Points Possible,,,,,10,
"Lovelace, Ada",101,S-1,ada,Section A,9,90
"Brown, Bo",102,bo,bo.brown,Section A,7,70
"Cy, Cy",cy,S-3,cy.c,Section B,8,80
"Dee, Dee",104,S-4,dee,Section B,,
"""


def _report(student: str, score: float) -> Report:
    return Report(f"{student}/actor_tree.ipynb", student,
                  (CheckResult("a", "A", score, 20, "passed" if score == 20 else "failed", "visible"),))


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_the_import_file_keeps_canvas_columns_and_adds_the_totals():
    reports = [_report("ada", 20), _report("bo", 12), _report("cy", 3), _report("zed", 17)]
    text, unmatched = gradebook(reports, ROSTER, column="Ray actor tree")
    rows = _rows(text)
    assert rows[0] == [*KEPT, "Ray actor tree"]
    assert rows[1] == ["    Points Possible", "", "", "", "", "20"]
    assert rows[2:] == [
        ["Lovelace, Ada", "101", "S-1", "ada", "Section A", "20"],    # by SIS Login ID
        ["Brown, Bo", "102", "bo", "bo.brown", "Section A", "12"],    # by SIS User ID
        ["Cy, Cy", "cy", "S-3", "cy.c", "Section B", "3"],            # by ID
        ["Dee, Dee", "104", "S-4", "dee", "Section B", ""],           # no submission: empty
    ]
    assert unmatched == ["zed"]


def test_sis_login_id_wins_over_another_students_ids():
    roster = ROSTER + '"Other, Ada",ada,S-9,other,Section C,,\n'  # this student's Canvas ID is "ada"
    rows = _rows(gradebook([_report("ada", 20)], roster, column="Ray actor tree")[0])
    assert [r[-1] for r in rows[2:]] == ["20", "", "", "", ""]


def test_a_roster_that_is_not_a_canvas_export_is_refused_naming_the_column():
    with pytest.raises(RosterError, match=r"grades\.csv, line 1: no column SIS Login ID, Section"):
        gradebook([], "Student,ID,SIS User ID\nAda,1,2\n", column="Ray actor tree", roster_name="grades.csv")


@pytest.mark.ray
def test_grade_writes_the_import_file_and_lists_students_not_on_the_roster(tmp_path):
    for student in ("ada", "zed"):
        (tmp_path / "class" / student).mkdir(parents=True)
        (tmp_path / "class" / student / "actor_tree.py").write_text(notebook_code(ACTOR_TREE.source))
    (tmp_path / "roster.csv").write_text(ROSTER)
    done = subprocess.run([sys.executable, "-m", "grader", "class", "--only", "supervisor.actor_classes",
                           "--lms", "canvas", "--roster", "roster.csv", "--out", "grades.csv"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = _rows((tmp_path / "grades.csv").read_text())
    assert rows[1][-1] == "1" and rows[2] == ["Lovelace, Ada", "101", "S-1", "ada", "Section A", "1"]
    assert [r[-1] for r in rows[3:]] == ["", "", ""]
    assert "not on the roster, so not in grades.csv: zed" in done.stderr


def test_a_bad_roster_stops_before_anyone_is_graded(tmp_path):
    (tmp_path / "ada").mkdir()
    (tmp_path / "ada" / "actor_tree.py").write_text("x = 1\n")
    (tmp_path / "roster.csv").write_text("Name,Email\nAda,ada@x\n")
    done = subprocess.run([sys.executable, "-m", "grader", str(tmp_path), "--lms", "canvas", "--roster",
                           str(tmp_path / "roster.csv"), "--out", str(tmp_path / "g.csv")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "line 1: no column Student, ID, SIS User ID" in done.stderr, done.stderr
    assert not (tmp_path / "g.csv").exists() and "grading with" not in done.stderr
