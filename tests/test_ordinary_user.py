"""The grader as an ordinary user (most instructors are not root): the same verdicts as root, with
the sandbox where the machine allows user namespaces, the header saying what is in force, and the
reference notebook graded in place from this (editable) checkout, beside the folders the sandbox
hides. As root (CI), the commands run as a user made for it (tests/ordinary_user.py)."""

from __future__ import annotations

import json
import shutil

import pytest

import ordinary_user
from grader.checks import REQUIRED_IDS
from grader.course_notebooks import solution_notebook, student_notebook
from grader.runtime import sandbox

pytestmark = [pytest.mark.slow, pytest.mark.ray]


@pytest.fixture(scope="module")
def tester():
    try:
        return ordinary_user.account()
    except ordinary_user.Unavailable as why:
        pytest.skip(f"no ordinary user to test with: {why}")


def test_an_ordinary_user_grades_the_reference_in_place_and_the_stub_as_root_does(tester):
    folder = ordinary_user.scratch(tester)
    try:
        done = ordinary_user.run(tester, ["grade", str(solution_notebook()), str(student_notebook()), "--json",
                                          "--jobs", "2"], cwd=folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert done.returncode == 0, done.stderr[-3000:]
    header = done.stderr.splitlines()[0]
    if shutil.which("bwrap"):
        assert "sandbox: namespaces" in header, header
    else:
        assert "sandbox: none" in header, header
    assert "limits: none enforced" in header and "run grade as root, or from cgroup v1" in header, header
    reference, stub = json.loads(done.stdout)["submissions"]
    assert [c["id"] for c in reference["checks"]] == list(REQUIRED_IDS)
    assert (reference["score"], stub["score"]) == (20, 0), json.dumps(reference, indent=1)[:4000]
    assert "grader_failure" not in reference and "grader_failure" not in stub
    assert "peak use" not in reference["staff_log"], "nothing measured the peak"
    assert "memory and process limits not enforced here" in reference["staff_log"]
    assert (sandbox.protection()[0] == sandbox.NAMESPACES) == ("sandbox: namespaces" in reference["staff_log"])
