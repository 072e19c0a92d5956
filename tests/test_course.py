"""The nbgrader course cycle, end to end, on real nbgrader commands: a course made by
`grade --new-course`, three students (correct, Part 1 only, untouched stub) who fetch and submit
through a real exchange, `nbgrader collect`, `grade --nbgrader`, `nbgrader export`, feedback
released and fetched by each student; then the same three graded by plain `nbgrader autograde`
(the autograder cells run the rubric in the kernel), which must agree check by check."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from conftest import ray_processes_of_grader, solution_leaks, solution_lines
from grader.checks import all_specs
from grader.release import autograder_grade_id
from conftest import ACTOR_TREE

pytestmark = [pytest.mark.slow, pytest.mark.ray, pytest.mark.nbgrader]
ASSIGNMENT = "actor_tree"
COURSE_ID = "actor-tree-e2e"
PART1 = ("worker", "supervisor", "run-supervisor")
PART3 = ("logging-actor", "run-experiment", "run-experiments")
POINTS = {s.id: s.points for s in all_specs(ACTOR_TREE)}
EXPECTED = {
    "correct": set(POINTS),
    "part1only": {i for i in POINTS if i.startswith("supervisor.")},
    "stub": set(),
}
"""Checks each student passes."""
BROKEN = {
    "duplicated": set(POINTS),  # the correct notebook with every cell twice and an autograder cell deleted
    "notjson": set(),
    "nonotebook": set(),
}
"""Submissions put straight into submitted/ (as a botched copy would): each gets a clear result."""
SUMMARY_ROW = r'<tr class="(success|danger)" data-check="([\w-]+)"'
"""A row of the feedback page's summary table (grader/feedback_templates)."""


def _broken_submissions(root: Path) -> None:
    correct = root / "submitted" / "correct" / ASSIGNMENT
    for student in BROKEN:
        folder = root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        for name in ("timestamp.txt", "submission_secret.txt"):
            shutil.copyfile(correct / name, folder / name)
    notebook = nbformat.read(correct / f"{ASSIGNMENT}.ipynb", as_version=4)
    notebook.cells = [c for c in notebook.cells for _ in (0, 1)
                      if c.metadata.get("nbgrader", {}).get("grade_id") != autograder_grade_id("logging.parallel")]
    for cell in notebook.cells:
        cell.pop("id", None)
    nbformat.write(notebook, root / "submitted" / "duplicated" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    (root / "submitted" / "notjson" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").write_text('{"cells": [\n oops')


def run(*command, cwd, check=True):
    bin_dir = str(Path(sys.executable).parent)
    env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""))
    env.pop("ACTOR_TREE_GRADING", None)
    done = subprocess.run(list(command), cwd=cwd, capture_output=True, text=True, env=env, timeout=1200)
    if check:
        assert done.returncode == 0, f"{' '.join(command)} exited {done.returncode}:\n{done.stdout[-3000:]}\n" \
                                     f"{done.stderr[-5000:]}"
    return done


def with_solutions(notebook_path: Path, grade_ids) -> None:
    """What a student does: write the reference answer into these solution cells."""
    reference = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source
                 for c in nbformat.read(ACTOR_TREE.source, as_version=4).cells}
    notebook = nbformat.read(notebook_path, as_version=4)
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in grade_ids:
            cell.source = reference[grade_id]
    nbformat.write(notebook, notebook_path)


def gradebook_scores(root: Path) -> dict[str, dict[str, float]]:
    """{student: {check id: auto score}} as nbgrader's gradebook holds them."""
    from nbgrader.api import Gradebook

    ids = {autograder_grade_id(i): i for i in POINTS}
    scores: dict[str, dict[str, float]] = {}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as book:
        for submission in book.assignment_submissions(ASSIGNMENT):
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    if grade.name in ids:
                        scores.setdefault(submission.student.id, {})[ids[grade.name]] = grade.score
    return scores


@pytest.fixture(scope="module")
def cycle(tmp_path_factory):
    base = tmp_path_factory.mktemp("cycle")
    root, exchange = base / "course", base / "exchange"
    run("grade", "--new-course", str(root), "--exchange", str(exchange), "--course-id", COURSE_ID, cwd=base)
    run("nbgrader", "generate_assignment", ASSIGNMENT, cwd=root)
    run("nbgrader", "release_assignment", ASSIGNMENT, cwd=root)
    student_args = [f"--course={COURSE_ID}", f"--Exchange.root={exchange}"]
    homes = {}
    for student, solved in (("correct", PART1 + PART3), ("part1only", PART1), ("stub", ())):
        home = homes[student] = base / "students" / student
        home.mkdir(parents=True)
        mine = [*student_args, f"--student={student}", f"--Exchange.cache={home / '.cache'}"]
        run("nbgrader", "fetch_assignment", ASSIGNMENT, *mine, cwd=home)
        with_solutions(home / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", solved)
        run("nbgrader", "submit", ASSIGNMENT, *mine, cwd=home)
    run("nbgrader", "collect", ASSIGNMENT, "--ExchangeCollect.check_owner=False", cwd=root)
    _broken_submissions(root)
    graded = run("grade", "--nbgrader", ASSIGNMENT, "--jobs", "2", cwd=root)
    run("nbgrader", "export", "--to=grades.csv", cwd=root)
    run("nbgrader", "release_feedback", ASSIGNMENT, cwd=root)
    for student, home in homes.items():
        run("nbgrader", "fetch_feedback", ASSIGNMENT, *student_args, f"--student={student}",
            f"--Exchange.cache={home / '.cache'}", cwd=home)
    ours = gradebook_scores(root)
    return {"root": root, "homes": homes, "graded": graded, "ours": ours}


def test_release_holds_nothing_of_the_solutions_beyond_the_student_version(cycle):
    regions = solution_lines()
    released = [p for p in (cycle["root"] / "release").rglob("*") if p.is_file()]
    assert any(p.suffix == ".ipynb" for p in released), released
    leaks = {str(p): found for p in released if (found := solution_leaks(_notebook_text(p), regions))}
    assert not leaks, leaks


def _notebook_text(path: Path) -> str:
    """A released file as lines of code and text (a notebook's cells, not its JSON)."""
    text = path.read_text(errors="replace")
    if path.suffix != ".ipynb":
        return text
    return "\n".join(cell.source for cell in nbformat.reads(text, as_version=4).cells)


def test_grade_nbgrader_records_every_check_in_the_gradebook(cycle):
    assert "correct" in cycle["graded"].stdout, cycle["graded"].stdout
    for student, passing in {**EXPECTED, **BROKEN}.items():
        expected = {i: (POINTS[i] if i in passing else 0.0) for i in POINTS}
        assert cycle["ours"][student] == expected, student


def test_nbgrader_export_has_the_totals(cycle):
    with open(cycle["root"] / "grades.csv") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    for student, passing in EXPECTED.items():
        assert float(rows[student]["score"]) == sum(POINTS[i] for i in passing), rows[student]
        assert float(rows[student]["max_score"]) == 20
        assert rows[student]["timestamp"], "the submission time comes from nbgrader's timestamp.txt"


def test_grade_results_agree_with_the_gradebook(cycle):
    for student in EXPECTED:
        saved = json.loads((cycle["root"] / "grade_results" / ASSIGNMENT / f"{student}.json").read_text())
        assert {c["id"]: c["score"] for c in saved["report"]["checks"]} == cycle["ours"][student]


def test_each_student_fetched_feedback_without_hidden_details(cycle):
    for student, home in cycle["homes"].items():
        pages = list((home / ASSIGNMENT / "feedback").glob(f"*/{ASSIGNMENT}.html"))
        assert len(pages) == 1, f"{student}: {sorted(p.name for p in home.rglob('*'))}"
        text = pages[0].read_text()
        assert "BEGIN HIDDEN TESTS" not in text and 'autograde_check("logging.no_leaks")' not in text
        if student == "stub":
            assert "not passed" in text and "details are shown to your instructor only" in text
            assert "not implemented yet" in text
        if student == "correct":
            assert "not passed" not in text


def test_a_rerun_grades_nobody_twice(cycle):
    saved = sorted((cycle["root"] / "grade_results" / ASSIGNMENT).glob("*.json"))
    before = {p.name: p.stat().st_mtime_ns for p in saved}
    run("grade", "--nbgrader", ASSIGNMENT, cwd=cycle["root"])
    assert {p.name: p.stat().st_mtime_ns for p in saved} == before, "a saved result was graded again"
    assert gradebook_scores(cycle["root"]) == cycle["ours"]


def test_broken_submissions_get_a_clear_result_and_feedback(cycle):
    root = cycle["root"]
    for student, why in (("notjson", "is not a valid notebook: JSON error at line 2"),
                         ("nonotebook", "holds no notebook")):
        report = json.loads((root / "grade_results" / ASSIGNMENT / f"{student}.json").read_text())["report"]
        assert why in report["problem"], report
        assert why in (root / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()


def test_plain_nbgrader_autograde_gives_the_same_scores_check_by_check(cycle):
    root = cycle["root"]
    shutil.rmtree(root / "autograded")
    for student in BROKEN:  # plain nbgrader stops on these (a duplicated grade cell, no notebook)
        shutil.rmtree(root / "submitted" / student)
    run("nbgrader", "autograde", ASSIGNMENT, "--force", cwd=root)
    scores = gradebook_scores(root)
    assert {s: scores[s] for s in EXPECTED} == {s: cycle["ours"][s] for s in EXPECTED}
    # A course that never runs `grade` gets the same feedback page: the summary of every check.
    run("nbgrader", "generate_feedback", ASSIGNMENT, "--force", cwd=root)
    for student, passing in EXPECTED.items():
        page = (root / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
        rows = {anchor: kind for kind, anchor in re.findall(SUMMARY_ROW, page)}
        assert rows == {autograder_grade_id(i): "success" if i in passing else "danger" for i in POINTS}, student
    assert not ray_processes_of_grader()
