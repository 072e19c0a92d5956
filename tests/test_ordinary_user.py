"""The grader as an ordinary user (most instructors are not root): the same verdicts as root, with
the sandbox where the machine allows user namespaces, the header saying what is in force, and the
reference notebook graded in place from this (editable) checkout, beside the folders the sandbox
hides; the hostile batch as that user. As root (CI), the commands run as a user made for it
(tests/ordinary_user.py)."""

from __future__ import annotations

import json
import re
import shutil
import sys

import pytest

import ordinary_user
from conftest import REQUIRED_IDS
from conftest import ACTOR_TREE

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
        done = ordinary_user.run(tester, ["grade", str(ACTOR_TREE.source), str(ACTOR_TREE.release), "--json",
                                          "--jobs", "2"], cwd=folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert done.returncode == 0, done.stderr[-3000:]
    header = done.stderr.splitlines()[0]
    if _user_namespaces_for(tester):
        assert "sandbox: namespaces" in header, header
    else:  # bubblewrap missing, or user namespaces closed to ordinary users here: said, with why
        assert "sandbox: none (" in header, header
    assert "limits: none enforced" in header and "run grade as root, or from cgroup v1" in header, header
    reference, stub = json.loads(done.stdout)["submissions"]
    assert [c["id"] for c in reference["checks"]] == list(REQUIRED_IDS)
    assert (reference["score"], stub["score"]) == (20, 0), json.dumps(reference, indent=1)[:4000]
    assert "grader_failure" not in reference and "grader_failure" not in stub
    assert "peak use" not in reference["staff_log"], "nothing measured the peak"
    assert "memory and process limits not enforced here" in reference["staff_log"]
    assert ("sandbox: namespaces" in header) == ("sandbox: namespaces" in reference["staff_log"])


def _user_namespaces_for(tester) -> bool:
    """Whether bubblewrap can make a user namespace for this user on this machine."""
    if not shutil.which("bwrap"):
        return False
    folder = ordinary_user.scratch(tester)
    try:
        probe = ordinary_user.run(tester, ["bwrap", "--unshare-user", "--unshare-net", "--ro-bind", "/", "/", "true"],
                                  cwd=folder, timeout=60)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return probe.returncode == 0


def test_the_hostile_batch_as_an_ordinary_user(tester):
    """tests/test_hostile.py run by that user: every case handled as it is for root, but for those
    that only the kernel's limits stop, which say they are skipped (no limits for this user)."""
    from test_hostile import LIMITED

    done, summary = _pytest_as(tester, "test_hostile.py")
    skipped = int(re.search(r"(\d+) skipped", summary).group(1)) if "skipped" in summary else 0
    reasons = [line for line in done.stdout.splitlines() if line.startswith("SKIPPED")]
    assert skipped == len(LIMITED) and all("limits are not enforced" in line for line in reasons), done.stdout[-3000:]
    assert int(re.search(r"(\d+) passed", summary).group(1)) >= 20, summary


def test_the_forging_batch_as_an_ordinary_user(tester):
    """tests/test_forging.py run by that user: as an ordinary user the judge and the submission
    share a uid, so what keeps them apart is the judge's own (not dumpable, outside the sandbox's
    PID namespace and file view): no forgery may score above its honest base there either."""
    from test_forging import CASES

    done, summary = _pytest_as(tester, "test_forging.py")
    assert int(re.search(r"(\d+) passed", summary).group(1)) == len(CASES) + 1 and "skipped" not in summary, summary


def _pytest_as(tester, test_file: str):
    """Run one of tests/ with pytest as that user, in a folder of theirs: (the run, its summary
    line), once it has passed."""
    folder = ordinary_user.scratch(tester)
    try:
        done = ordinary_user.run(tester, [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs",
                                          str(ordinary_user.REPO / "tests" / test_file)], cwd=folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert done.returncode == 0, done.stdout[-4000:]
    return done, done.stdout.strip().splitlines()[-1]
