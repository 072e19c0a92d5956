"""A grader failure is never a grade. Injected for real: GRADER_RAY_START_TIMEOUT=0 gives every Ray
head no time to start (grader/runtime/cluster.py), the grader's own failure. A class graded with
every output at once (--results, --csv, --json, --feedback, --report, --lms canvas): nobody gets a
score, the terminal says why on the spot, the exit status is 1, no feedback page is written (an
earlier one stays), the Canvas file leaves the cells empty, the report flags them with the staff
log; then the same command without the fault grades them (not reused from --results)."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import shutil

import pytest

from conftest import saved_reports
from grader import cli
from grader.course_notebooks import notebook_code
from grader.runtime.cluster import START_TIMEOUT_VARIABLE
from conftest import ACTOR_TREE

pytestmark = [pytest.mark.slow, pytest.mark.ray]
ONLY = "supervisor.actor_classes"
"""1 point, about a second of checking: the reference passes it, the untouched stub does not."""
ROSTER = ("Student,ID,SIS User ID,SIS Login ID,Section\n    Points Possible,,,,\n"
          '"Lovelace, Ada",101,S-1,ada,A\n"Brown, Bo",102,S-2,bo,A\n')


def _grade(tmp_path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    argv = ["class", "--only", ONLY, "--jobs", "2", "--json", "--results", "results", "--csv", "grades.csv",
            "--feedback", "feedback", "--report", "class.html", "--lms", "canvas", "--roster", "roster.csv",
            "--out", "canvas.csv"]
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        patch.chdir(tmp_path)
        try:
            code = cli.main(argv)
        except SystemExit as exit_:
            code = exit_.code
    return code, out.getvalue(), err.getvalue()


def test_a_class_the_grader_failed_on_gets_no_grade_anywhere_and_a_rerun_grades_it(tmp_path, monkeypatch):
    (tmp_path / "class" / "ada").mkdir(parents=True)
    (tmp_path / "class" / "ada" / "actor_tree.py").write_text(notebook_code(ACTOR_TREE.source))
    (tmp_path / "class" / "bo").mkdir()
    shutil.copyfile(ACTOR_TREE.release, tmp_path / "class" / "bo" / "actor_tree.ipynb")
    (tmp_path / "roster.csv").write_text(ROSTER)
    (tmp_path / "feedback").mkdir()
    (tmp_path / "feedback" / "ada.html").write_text("ada's page from an earlier run")

    monkeypatch.setenv(START_TIMEOUT_VARIABLE, "0")
    code, out, err = _grade(tmp_path)
    assert code == 1, err[-3000:]
    reports = json.loads(out)["submissions"]
    for report in reports:
        assert report["score"] is None and report["grader_failure"] == (
            "the grader could not start Ray for this submission (the Ray head did not start within 0 s)"), report
        assert report["checks"][0]["feedback"].startswith("Not graded: the grader failed: the grader could not start")
        assert "the Ray head did not start within 0 s" in report["staff_log"]
    for student in ("ada", "bo"):
        assert f"grade: {student} was NOT graded: the grader failed: the grader could not start Ray" in err, err[-3000:]
    assert "2 submission(s) NOT graded, because the grader failed: ada, bo" in err
    rows = list(csv.DictReader(io.StringIO((tmp_path / "grades.csv").read_text())))
    assert [(r["student"], r["score"], r[ONLY]) for r in rows] == [("ada", "", ""), ("bo", "", "")]
    assert all(r["flags"].startswith("not graded: the grader failed") for r in rows)
    canvas = list(csv.reader(io.StringIO((tmp_path / "canvas.csv").read_text())))
    assert [row[-1] for row in canvas[2:]] == ["", ""], "no grade into Canvas: it keeps the one it has"
    assert "left empty in canvas.csv (not graded: the grader failed; Canvas keeps their grade): ada, bo" in err
    assert (tmp_path / "feedback" / "ada.html").read_text() == "ada's page from an earlier run"
    assert not (tmp_path / "feedback" / "bo.html").exists()
    page = (tmp_path / "class.html").read_text()
    assert page.count("the grader failed") >= 2 and "did not start within 0 s" in page
    assert len(saved_reports(tmp_path / "results")) == 2

    monkeypatch.delenv(START_TIMEOUT_VARIABLE)
    code, out, err = _grade(tmp_path)
    assert code == 0, err[-3000:]
    reports = json.loads(out)["submissions"]
    assert [(r["student"], r["score"], "grader_failure" in r) for r in reports] == [("ada", 1, False),
                                                                                   ("bo", 0, False)]
    assert not any(r.get("reused") for r in reports), "a grader failure saved in --results is graded again"
    rows = list(csv.DictReader(io.StringIO((tmp_path / "grades.csv").read_text())))
    assert [(r["student"], r["score"]) for r in rows] == [("ada", "1"), ("bo", "0")]
    assert [row[-1] for row in csv.reader(io.StringIO((tmp_path / "canvas.csv").read_text()))][2:] == ["1", "0"]
    assert (tmp_path / "feedback" / "ada.html").read_text().startswith("<!DOCTYPE html>")

    code, out, err = _grade(tmp_path)
    assert code == 0 and all(r["reused"] for r in json.loads(out)["submissions"])
    assert "(reused)" in err, err[-2000:]
