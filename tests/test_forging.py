"""Forging attempts (tests/forging/*.py), each graded beside its honest base in one batch. A case
is the reference with one honest change, then, under a `# --- forgery ---` line, code written to
raise its grade by reaching the grader's machinery: the journal, the grader's objects, the
instruments' gates and reports, the return value, the grader's own actors. Its base is the same
file without the forgery. None may score above its base, and a case whose docstring names a
`Flag:` must be flagged for the instructor with it."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import grader_failures
from grader.course_notebooks import notebook_code
from grader.demo import compose, docstring_field
from grader.grading import grade_submissions
from grader.records import Submission
from grader.runtime.limits import Limits
from conftest import ACTOR_TREE

pytestmark = [pytest.mark.slow, pytest.mark.ray]
FORGING = Path(__file__).resolve().parent / "forging"
MARKER = "# --- forgery ---"
CASES = sorted(p.stem for p in FORGING.glob("*.py"))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """{case: (forged report, its base's report)}; cases whose bases are the same code and checks
    share one grading of it."""
    folder = tmp_path_factory.mktemp("forging")
    reference = notebook_code(ACTOR_TREE.source)
    submissions, base_of, bases = [], {}, {}
    for case in CASES:
        text = (FORGING / f"{case}.py").read_text()
        checks = tuple(docstring_field(text, "Checks").replace(",", " ").split())
        honest = text.split(MARKER)[0]
        base_of[case] = bases.setdefault((honest.split('"""', 2)[-1].strip(), checks), f"{case}-base")
        first_of_its_base = base_of[case] == f"{case}-base"
        for name, code in [(case, text), *([(base_of[case], honest)] if first_of_its_base else [])]:
            path = folder / f"{name}.py"
            path.write_text(compose(reference, code))
            submissions.append(Submission(str(path), name, path.name, checks=checks))
    reports = grade_submissions(submissions, jobs=2, wall_seconds=400, limits=Limits(), results_dir=folder / "results")
    by_student = {r.student: r for r in reports}
    return {case: (by_student[case], by_student[base_of[case]]) for case in CASES}


@pytest.mark.parametrize("case", CASES)
def test_a_forgery_scores_no_more_than_its_honest_base(graded, case):
    forged, base = graded[case]
    assert forged.score <= base.score, (case, forged.to_json(), base.to_json())
    passed_base = {c.id for c in base.checks if c.status == "passed"}
    assert {c.id for c in forged.checks if c.status == "passed"} <= passed_base, forged.to_json()
    flag = docstring_field((FORGING / f"{case}.py").read_text(), "Flag")
    if flag:
        assert any(flag in f for f in forged.flags), (case, forged.flags)
    assert not base.flags, (case, base.flags)


def test_no_grader_failures_among_them(graded):
    assert grader_failures([report for pair in graded.values() for report in pair]) == []
