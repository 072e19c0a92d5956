"""The judge apart from the code it judges, read from /proc while a submission is being graded:
no process that runs the submission's code (its host, Ray's workers and core processes) holds the
journal open; the judge is in none of their PID namespaces, never had the submission's text in
its memory, and (as root) runs under another user id than all of them. And what keeps a process of
the judge's own user id out of it (an ordinary user's grading): it is not dumpable."""

from __future__ import annotations

import os
import re
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from grader.course_notebooks import notebook_code
from grader.demo import compose
from grader.records import Submission
from grader.runtime.isolation import grade_isolated
from grader.runtime.sandbox import NAMESPACES, protection
from ordinary_user import Unavailable, account, run, scratch
from conftest import ACTOR_TREE

pytestmark = [pytest.mark.slow, pytest.mark.ray]
SANDBOXED = pytest.mark.skipif(protection()[0] != NAMESPACES, reason="needs the sandbox's namespaces")
MARKER = "judge-never-reads-" + "this-line-3c1f7a"
SLOW_RUN_SUPERVISOR = f'''
def run_supervisor(models=None, poll_interval=0.5):
    marker = "{MARKER}"
    time.sleep(25)
    raise RuntimeError(marker)
'''


def _ours(prefix: str):
    """(judge, the processes that run the submission's code) of the grading run under `prefix`."""
    judge, student = None, []
    for process in psutil.process_iter(["cmdline", "name"]):
        cmdline = " ".join(process.info["cmdline"] or ())
        if prefix not in cmdline or "nsenter" in cmdline or "bwrap" in cmdline or "setpriv" in cmdline:
            continue
        if "-m grader.session --address" in cmdline:
            judge = process
        else:
            student.append(process)
    return judge, student


def _journal_holders(processes, workdir: str) -> list[str]:
    found = []
    for process in processes:
        for fd in Path(f"/proc/{process.pid}/fd").glob("*"):
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith(workdir) and re.search(r"journal-\d+\.jsonl", target):
                found.append(f"{process.pid} {process.info['cmdline'][:3]} -> {target}")
    return found


def _memory_holds(pid: int, needle: bytes) -> bool:
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
        for line in maps:
            span, perms = line.split()[:2]
            if not perms.startswith("r"):
                continue
            start, end = (int(x, 16) for x in span.split("-"))
            if end - start > 512 * 1024 * 1024:
                continue
            try:
                mem.seek(start)
                if needle in mem.read(end - start):
                    return True
            except (OSError, ValueError, OverflowError):
                continue
    return False


@SANDBOXED
@pytest.mark.skipif(os.geteuid() != 0, reason="reads another user's process memory: root only")
def test_the_judge_is_out_of_the_submissions_reach(tmp_path):
    path = tmp_path / "slow.py"
    path.write_text(compose(notebook_code(ACTOR_TREE.source), SLOW_RUN_SUPERVISOR))
    submission = Submission(str(path), "slow", path.name, checks=("supervisor.run_supervisor",))
    done = []
    grading = threading.Thread(target=lambda: done.append(grade_isolated(
        submission, only=("supervisor.run_supervisor",), wall_seconds=300)), daemon=True)
    grading.start()
    prefix = f"/grade-{os.getpid()}-"
    deadline = time.monotonic() + 120
    judge, student = None, []
    while time.monotonic() < deadline:
        judge, student = _ours(prefix)
        hosts = [p for p in student if "grader.session.host" in " ".join(p.info["cmdline"] or ())]
        if judge and hosts and any("default_worker" in " ".join(p.info["cmdline"] or ()) for p in student):
            break
        time.sleep(0.5)
    assert judge is not None and hosts, "the judge and its host were never seen"
    time.sleep(3)  # run_supervisor is now sleeping in the host
    judge, student = _ours(prefix)
    workdir = re.search(r"(/\S*/grade-\d+-[^/\s]+)", " ".join(judge.info["cmdline"])).group(1)

    assert _journal_holders(student, workdir) == []
    assert _journal_holders([judge], workdir), "the judge itself holds its journal"
    judge_ns = os.readlink(f"/proc/{judge.pid}/ns/pid")
    assert all(os.readlink(f"/proc/{p.pid}/ns/pid") != judge_ns for p in student)
    assert {p.uids().real for p in student} == {61000} and judge.uids().real == 0
    assert not _memory_holds(judge.pid, MARKER.encode())
    assert any(_memory_holds(p.pid, MARKER.encode()) for p in hosts), "the test's marker is not where it should be"
    grading.join(120)
    report = done[0]
    assert not report.grader_failure and report.checks[0].status == "failed"
    assert MARKER in report.checks[0].feedback


NOT_DUMPABLE = """
import subprocess, sys, time
judge = subprocess.Popen([sys.executable, "-c", "from grader.judge import not_dumpable; import time; "
                          "not_dumpable(); time.sleep(30)"])
other = subprocess.Popen(["sleep", "30"])
time.sleep(2)
for name, process in (("judge", judge), ("other", other)):
    try:
        open(f"/proc/{process.pid}/environ", "rb").read()
        print(name, "readable")
    except OSError as error:
        print(name, "refused", error.errno)
    process.kill()
"""


def test_a_process_of_the_same_user_cannot_read_the_judge():
    """As an ordinary user (the judge and the submission share a user id there): the judge's
    memory, descriptors and environment are closed to that user's other processes."""
    try:
        user = account()
    except Unavailable as why:
        pytest.skip(str(why))
    folder = scratch(user)
    done = run(user, [sys.executable, "-c", NOT_DUMPABLE], cwd=folder,
               env={"PYTHONPATH": str(Path(__file__).parents[1])}, timeout=120)
    assert "judge refused 13" in done.stdout and "other readable" in done.stdout, done.stdout + done.stderr
