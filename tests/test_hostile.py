"""Hostile submissions (tests/hostile/*.py, each the reference with one override) graded in one
batch with an honest one. Each docstring names the checks to run (`Checks:`), the ones that must
fail (`Fails:`), a text each failed check's feedback holds (`Says:`) and one a flag holds
(`Flag:`). In a sandbox (grader/runtime/sandbox.py) what is outside the submission's view is not
there at all, so a case may say what it meets there instead (`Sandbox says:`, `Sandbox flag:`),
and the cases that test the sandbox itself (`Needs: sandbox`) run only where it is in force.
Resource limits are enforced by the kernel on everything a submission runs (its Ray head and
workers, and the grading process); tampering with ray, time, the grader or its journal
is undone and flagged; a printed report changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import grader_failures, groups_of_grader, ray_processes_of_grader
from grader.course_notebooks import notebook_code
from grader.demo import compose, docstring_field
from grader.grading import grade_submissions
from grader.records import Submission
from grader.runtime.limits import Limits, in_force
from grader.runtime.sandbox import NAMESPACES, protection
from conftest import ACTOR_TREE

pytestmark = [pytest.mark.slow, pytest.mark.ray]
HOSTILE = Path(__file__).resolve().parent / "hostile"
LIMITED = ("memory_hog_in_driver", "memory_hog_in_actor", "memory_hog_in_task", "endless_processes")
"""The cases that only the kernel's limits stop (skipped, saying so, where they are not enforced)."""
SANDBOXED = protection()[0] == NAMESPACES


def _limits_available() -> bool:
    """Whether this user can put a submission in control groups here (not as an ordinary user
    without delegated groups: then the limits are not enforced, and the header says so)."""
    return in_force(Limits())[0]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("limits")
    reference = notebook_code(ACTOR_TREE.source)
    submissions, cases = [], {}
    for override in sorted(HOSTILE.glob("*.py")):
        text = override.read_text()
        if override.stem in LIMITED and not _limits_available():
            continue  # skipped below, with the reason
        if docstring_field(text, "Needs") == "sandbox" and not SANDBOXED:
            continue
        path = folder / f"{override.stem}.py"
        path.write_text(compose(reference, text))
        checks = tuple(docstring_field(text, "Checks").replace(",", " ").split())
        submissions.append(Submission(str(path), override.stem, path.name, checks=checks))
        fails = set(docstring_field(text, "Fails").replace(",", " ").split()) - {"none"}
        says, flag = docstring_field(text, "Says"), docstring_field(text, "Flag")
        if SANDBOXED and docstring_field(text, "Sandbox says"):
            says, flag = docstring_field(text, "Sandbox says"), docstring_field(text, "Sandbox flag")
        cases[override.stem] = (fails, says, "" if flag == "none" else flag)
    honest = folder / "honest.py"
    honest.write_text(reference)
    submissions.append(Submission(str(honest), "honest", honest.name,
                                  checks=("supervisor.run_supervisor", "supervisor.trains_each_model")))
    reports = grade_submissions(submissions, jobs=3, wall_seconds=300, limits=Limits(), results_dir=folder / "results")
    return {r.student: r for r in reports}, cases, folder


@pytest.mark.parametrize("student", sorted(p.stem for p in HOSTILE.glob("*.py")))
def test_hostile_submission_fails_its_checks_saying_why_and_is_flagged(graded, student):
    reports, cases, _ = graded
    if student not in cases:
        pytest.skip("no writable cgroup v1 memory and pids hierarchy here: limits are not enforced"
                    if student in LIMITED else protection()[1])
    fails, says, flag = cases[student]
    report = reports[student]
    failed = {c.id: c.feedback for c in report.checks if c.status != "passed"}
    assert set(failed) == fails, (student, failed, report.flags)
    for feedback in failed.values():
        assert says in feedback, (student, feedback)
    if flag:
        assert any(flag in f for f in report.flags), report.flags
    else:
        assert not report.flags, report.flags


def test_an_honest_submission_beside_them_keeps_its_score(graded):
    reports, _, _ = graded
    assert reports["honest"].score == reports["honest"].max_score == 4, reports["honest"].to_json()
    assert not reports["honest"].flags


def test_no_grader_crashes(graded):
    reports, _, _ = graded
    assert grader_failures(reports.values()) == []


def test_the_results_folder_holds_only_what_the_grader_wrote(graded):
    _, _, folder = graded
    saved = json.loads((folder / "results" / "write_results_folder.json").read_text())
    assert saved["report"]["score"] == 0 and "fingerprint" in saved


def test_nothing_is_left_running_and_no_group_is_left(graded):
    assert ray_processes_of_grader() == []
    assert groups_of_grader() == []
