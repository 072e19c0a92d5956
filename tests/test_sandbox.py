"""The sandbox per submission (grader/runtime/sandbox.py), seen from outside while a submission is
graded: the Ray head's processes live in a network namespace with loopback only, in a PID namespace
of their own, and the staff log says which protection was in force. What the code inside sees is
tested by the hostile cases that need the sandbox (tests/hostile/, `Needs: sandbox`). Nothing here
sends a packet: the namespaces are read from /proc."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from conftest import ray_processes_of_grader
from grader.course_notebooks import notebook_code
from grader.discovery import discover
from grader.grading import grade_submissions
from grader.records import Submission
from grader.runtime import sandbox
from grader.runtime.isolation import grade_isolated
from conftest import ACTOR_TREE


def test_without_bubblewrap_the_grader_falls_back_to_token_auth_and_says_how_to_get_it(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no bwrap, nsenter or setpriv on it
    monkeypatch.delenv("ACTOR_TREE_SANDBOX", raising=False)
    mode, sentence = sandbox.protection.__wrapped__()
    assert mode == sandbox.TOKEN_ONLY
    assert "bubblewrap" in sentence and "token authentication only" in sentence


def test_without_the_sandbox_a_class_is_graded_one_at_a_time_and_the_header_says_why(monkeypatch, tmp_path):
    """A submission graded without the sandbox can reach every process on the machine: beside
    another one's grading, it could cost that student a report. Two folders with nothing to grade
    (no Ray needed) are enough to see how many are graded at once."""
    for student in ("ada", "bo"):
        (tmp_path / "class" / student).mkdir(parents=True)
        (tmp_path / "class" / student / "notes.txt").write_text("no notebook here")
    monkeypatch.setenv("ACTOR_TREE_SANDBOX", "off")
    sandbox.protection.cache_clear()
    try:
        assert sandbox.at_once(2)[0] == 1 and sandbox.at_once(1) == (1, "")
        threads = set()

        def progress(*_):
            threads.add(threading.get_ident())
            time.sleep(0.5)  # still busy when the next submission is handed out: a second thread would take it

        reports = grade_submissions(discover([tmp_path / "class"]), jobs=2, assignment=ACTOR_TREE, progress=progress)
        assert len(reports) == 2 and len(threads) == 1
        done = subprocess.run([sys.executable, "-m", "grader", "--assignment", "actor_tree", "--jobs", "2", "class"],
                              cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        assert "--jobs 2 (one at a time, not 2: without the sandbox" in done.stderr.splitlines()[0]
    finally:
        sandbox.protection.cache_clear()


def test_a_sandbox_that_is_off_changes_no_command():
    with sandbox.Sandbox([], [], enabled=False) as box:
        assert box.wrap(["python", "-c", "1"]) == ["python", "-c", "1"]
        assert box.environment == {}


def _network_namespace(pid: int | str) -> str:
    return os.readlink(f"/proc/{pid}/ns/net")


def _interfaces(pid: int) -> list[str]:
    lines = Path(f"/proc/{pid}/net/dev").read_text().splitlines()[2:]
    return sorted(line.split(":")[0].strip() for line in lines)


def _listening_ports(pid: int) -> set[int]:
    """The ports this process itself listens on: the LISTEN lines of its network namespace's
    tables (/proc/PID/net/tcp*) whose socket is one of its open files (/proc/PID/fd)."""
    sockets = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue  # closed since it was listed
        if target.startswith("socket:["):
            sockets.add(target[len("socket:["):-1])
    ports = set()
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in sockets:  # LISTEN, and its own
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


@pytest.mark.slow
@pytest.mark.ray
def test_while_a_submission_is_graded_ray_listens_only_inside_a_loopback_only_namespace(tmp_path):
    mode, sentence = sandbox.protection()
    if mode != sandbox.NAMESPACES:
        pytest.skip(sentence)
    path = tmp_path / "reference.py"
    path.write_text(notebook_code(ACTOR_TREE.source))
    submission = Submission(str(path), "reference", path.name, checks=("supervisor.run_supervisor",))
    result = {}
    grading = threading.Thread(target=lambda: result.update(report=grade_isolated(submission, wall_seconds=300)))
    grading.start()
    seen: dict[str, tuple] = {}
    while grading.is_alive() and len(seen) < 2:
        for line in ray_processes_of_grader():
            pid = int(line.split(":")[0])
            try:
                name = psutil.Process(pid).name()
                if name in ("gcs_server", "raylet") and name not in seen and (ports := _listening_ports(pid)):
                    # (recorded once it listens: a moment after it starts)
                    seen[name] = (pid, _network_namespace(pid), _interfaces(pid), ports,
                                  os.readlink(f"/proc/{pid}/ns/pid"))
            except (OSError, psutil.Error):
                continue  # not up yet, or gone
        time.sleep(0.2)
    grading.join()
    assert set(seen) == {"gcs_server", "raylet"}, seen
    for name, (_pid, network, interfaces, _ports, pids) in seen.items():
        assert network != _network_namespace("self"), f"{name} runs in the grader's own network namespace"
        assert interfaces == ["lo"], (name, interfaces)
        assert pids != os.readlink("/proc/self/ns/pid"), f"{name} sees the machine's processes"
    report = result["report"]
    assert report.score == report.max_score, report.to_json()
    assert "sandbox: namespaces" in report.staff_log
    assert ray_processes_of_grader() == []
