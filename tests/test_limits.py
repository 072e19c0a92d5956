"""Resource limits per submission, enforced by the kernel on everything the submission runs
(its Ray head and workers, and the grading process): a memory hog in the driver or in an actor,
and endless processes, each get a clear "limit exceeded" result, while an honest submission
graded beside them keeps its score."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import ray_processes_of_grader
from grader.course_files import notebook_code, solution_notebook
from grader.demo import compose, expected_failures
from grader.grading import grade_submissions
from grader.records import Submission
from grader.runtime.limits import Limits, _own_hierarchy

pytestmark = pytest.mark.slow
HOSTILE = Path(__file__).resolve().parent / "hostile"


def _field(source: str, name: str) -> str:
    doc = ast.get_docstring(ast.parse(source)) or ""
    return next((line.split(":", 1)[1].strip() for line in doc.splitlines() if line.startswith(name + ":")), "")


def _limits_available() -> bool:
    try:
        return all(_own_hierarchy(c).is_dir() for c in ("memory", "pids"))
    except OSError:
        return False


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    if not _limits_available():
        pytest.skip("no writable cgroup v1 memory and pids hierarchy here: limits are not enforced")
    folder = tmp_path_factory.mktemp("limits")
    reference = notebook_code(solution_notebook())
    submissions, cases = [], {}
    for override in sorted(HOSTILE.glob("*.py")):
        text = override.read_text()
        path = folder / f"{override.stem}.py"
        path.write_text(compose(reference, text))
        checks = tuple(_field(text, "Checks").replace(",", " ").split())
        submissions.append(Submission(str(path), override.stem, path.name, checks=checks))
        cases[override.stem] = (expected_failures(text), _field(text, "Says"))
    honest = folder / "honest.py"
    honest.write_text(reference)
    submissions.append(Submission(str(honest), "honest", honest.name,
                                  checks=("supervisor.run_supervisor", "supervisor.trains_each_model")))
    reports = grade_submissions(submissions, jobs=2, wall_seconds=300, limits=Limits())
    return {r.student: r for r in reports}, cases


def test_each_limit_is_named_in_the_failed_check_and_flagged(graded):
    reports, cases = graded
    for student, (fails, says) in cases.items():
        report = reports[student]
        failed = {c.id: c.feedback for c in report.checks if c.status != "passed"}
        assert set(failed) == fails, (student, failed)
        for feedback in failed.values():
            assert feedback.startswith("Limit exceeded") and says in feedback, (student, feedback)
        assert any(flag.startswith("Limit exceeded") and says in flag for flag in report.flags), report.flags


def test_an_honest_submission_beside_them_keeps_its_score(graded):
    reports, _ = graded
    assert reports["honest"].score == reports["honest"].max_score == 4, reports["honest"].to_json()
    assert not reports["honest"].flags


def test_nothing_is_left_running_and_no_group_is_left(graded):
    assert ray_processes_of_grader() == []
    for controller in ("memory", "pids"):
        assert not list(_own_hierarchy(controller).glob("grade-*"))
