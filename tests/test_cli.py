"""The real `grade` command, run once as a user would, plus its usage errors and resumability."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys

import pytest

from conftest import REQUIRED_IDS, ray_processes_of_grader, saved_reports
from grader.course_notebooks import notebook_code
from grader.demo import build_class
from conftest import ACTOR_TREE


def _grade(*args, cwd):
    return subprocess.run([sys.executable, "-m", "grader", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=600)


@pytest.mark.ray  # the quick tier's one real grading: the reference (and the stub) through the real CLI
def test_grade_a_class_for_real_then_resume(tmp_path):
    (tmp_path / "class" / "ada").mkdir(parents=True)
    (tmp_path / "class" / "ada" / "actor_tree.py").write_text(notebook_code(ACTOR_TREE.source))
    (tmp_path / "class" / "bo" / "actor_tree").mkdir(parents=True)
    shutil.copyfile(ACTOR_TREE.release, tmp_path / "class" / "bo" / "actor_tree" / "actor_tree.ipynb")

    done = _grade("class", "--json", "--jobs", "2", "--csv", "grades.csv", "--results", "results", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    reports = json.loads(done.stdout)["submissions"]
    assert [(r["student"], r["score"], r["max_score"]) for r in reports] == [("ada", 20, 20), ("bo", 0, 20)]
    for report in reports:
        assert [c["id"] for c in report["checks"]] == list(REQUIRED_IDS)
    rows = list(csv.DictReader(io.StringIO((tmp_path / "grades.csv").read_text())))
    assert [(r["student"], r["score"]) for r in rows] == [("ada", "20"), ("bo", "0")]
    assert rows[0]["logging.parallel"] == "1" and rows[1]["logging.parallel"] == "0"
    assert ray_processes_of_grader() == []

    saved = {p.name: p.stat().st_mtime_ns for p in saved_reports(tmp_path / "results")}
    assert sorted(saved) == ["ada.json", "bo.json"]
    again = _grade("class", "--results", "results", cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    assert {p.name: p.stat().st_mtime_ns for p in saved_reports(tmp_path / "results")} == saved, \
        "unchanged submissions are not graded again"
    assert "ada  20 / 20" in again.stdout and "bo  0 / 20" in again.stdout


def test_usage_errors_exit_2(tmp_path):
    assert _grade(cwd=tmp_path).returncode == 2
    missing = _grade("nowhere.ipynb", cwd=tmp_path)
    assert missing.returncode == 2 and "nowhere.ipynb: no such file or folder" in missing.stderr
    assert _grade(tmp_path, "--only", "no.such_check", cwd=tmp_path).returncode == 2


def test_demo_class_holds_reference_stub_and_mistakes(tmp_path):
    target = build_class(tmp_path / "demo", assignment=ACTOR_TREE)
    students = sorted(p.name for p in target.iterdir())
    assert {"reference", "untouched-stub", "blocking-work", "fire-and-forget-logs"} <= set(students)
    assert (target / "reference" / "actor_tree.ipynb").read_text() == ACTOR_TREE.source.read_text()


@pytest.mark.slow
@pytest.mark.ray
def test_self_check_runs_the_visible_checks_as_a_student_sees_them(tmp_path):
    shutil.copyfile(ACTOR_TREE.release, tmp_path / "actor_tree.ipynb")
    done = _grade("--self-check", "actor_tree.ipynb", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    visible = [i for i in REQUIRED_IDS if i != "logging.no_leaks"]
    assert [c["id"] for c in report["checks"]] == visible and report["max_score"] == 19
    assert all("not implemented yet" in c["feedback"] for c in report["checks"])


def test_course_usage_errors_exit_2(tmp_path):
    assert _grade("--nbgrader", "actor_tree", cwd=tmp_path).returncode == 2  # not a course folder
    assert _grade("--new-course", tmp_path / "c", cwd=tmp_path).returncode == 0
    again = _grade("--new-course", tmp_path / "c", cwd=tmp_path)
    assert again.returncode == 2 and "already exists" in again.stderr
    not_generated = _grade("--nbgrader", "actor_tree", cwd=tmp_path / "c")
    assert not_generated.returncode == 2 and "nbgrader generate_assignment actor_tree" in not_generated.stderr
    assert _grade("--self-check", "x.ipynb", "--demo", cwd=tmp_path).returncode == 2
