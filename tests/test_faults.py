"""The grader itself killed with SIGKILL in the middle of a batch: a rerun of the same command
finishes the rest, grades nobody twice, leaves no half-written result file, and removes every
process, folder and control group the killed run left behind."""

from __future__ import annotations

import glob
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

import pytest

from conftest import ray_processes_of_grader, saved_reports
from grader.course_notebooks import notebook_code
from grader.runtime.limits import own_groups
from conftest import ACTOR_TREE

pytestmark = [pytest.mark.slow, pytest.mark.ray]
STUDENTS = ("a1", "a2", "a3", "a4")


def _command():
    return [sys.executable, "-m", "grader", "class", "--results", "results", "--jobs", "2",
            "--only", "supervisor.actor_classes"]


def test_sigkill_mid_batch_then_rerun_finishes_the_rest(tmp_path):
    for student in STUDENTS:
        (tmp_path / "class" / student).mkdir(parents=True)
        (tmp_path / "class" / student / "actor_tree.py").write_text(notebook_code(ACTOR_TREE.source))
    grader = subprocess.Popen(_command(), cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    results = tmp_path / "results"
    deadline = time.monotonic() + 300
    while not saved_reports(results):
        assert grader.poll() is None and time.monotonic() < deadline, "no result was saved"
        time.sleep(0.2)
    os.kill(grader.pid, signal.SIGKILL)  # mid-batch: other submissions are being graded right now
    grader.wait()
    first = {p.name: p.stat().st_mtime_ns for p in saved_reports(results)}
    assert 1 <= len(first) < len(STUDENTS)
    orphans = glob.glob(f"{tempfile.gettempdir()}/grade-{grader.pid}-*")
    assert orphans, "the killed run was grading when it died (its folders are left)"

    rerun = subprocess.run(_command(), cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    saved = saved_reports(results)
    assert [p.stem for p in saved] == sorted(STUDENTS)
    for path in saved:
        report = json.loads(path.read_text())["report"]
        assert report["score"] == report["max_score"] == 1, report
    assert {n: t for n, t in ((p.name, p.stat().st_mtime_ns) for p in saved) if n in first} == first, \
        "a saved result was graded again"
    assert not list(results.glob(".tmp-*")), "a half-written result file was left"
    assert not glob.glob(f"{tempfile.gettempdir()}/grade-{grader.pid}-*")
    assert not [g for g in own_groups() if g.name.startswith(f"grade-{grader.pid}-")]
    assert not [p for p in ray_processes_of_grader() if f"grade-{grader.pid}-" in p]
