"""One local Ray head, started for one submission and stopped by pid.

Never Ray's machine-wide stop command (it kills every Ray process on the machine) and never the
"auto" address (it finds other people's clusters): this head has its own ports on 127.0.0.1 and its
own temp dir, and everything it started is found again by that temp dir and killed by pid.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil

from grader.runtime import with_startup_path
from grader.runtime.owned import processes_naming

READY_LINE = "Ray runtime started"
CORE_PROCESSES = ("gcs_server", "raylet")
START_TIMEOUT_VARIABLE = "GRADER_RAY_START_TIMEOUT"
"""Seconds a Ray head may take to start (default 90): more on a machine loaded by other work."""
GRADING_CPUS = 8
"""Logical CPUs of a grading head: more than the rubric ever holds at once (the grader's own tasks
ask for none; a student's actors declared with num_cpus=1 still fit)."""


class HeadStartError(RuntimeError):
    """The Ray head did not come up; the message carries the end of its log."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


TASK_EVENTS_INTERVAL_VARIABLE = "RAY_task_events_report_interval_ms"


def grading_environment(base: dict | None = None) -> dict:
    """Environment for every process of a grading run (head, its workers, the driver)."""
    env = dict(os.environ if base is None else base)
    with_startup_path(env)
    env["RAY_USAGE_STATS_ENABLED"] = "0"
    # Bounded log files: a submission that prints without end must not fill the disk.
    env["RAY_ROTATION_MAX_BYTES"] = str(8 * 1024 * 1024)
    env["RAY_ROTATION_BACKUP_COUNT"] = "1"
    env["RAY_enable_worker_prestart"] = "0"
    env["RAY_prestart_worker_first_driver"] = "0"
    # Task events reach the GCS within 0.1 s, not 1 s: a check that counts calls from them
    # (grader.checks.observe.calls_received) waits that much less.
    env[TASK_EVENTS_INTERVAL_VARIABLE] = "100"
    env.pop("RAY_ADDRESS", None)
    return env


def start_timeout_from_environment() -> float:
    """GRADER_RAY_START_TIMEOUT, or 90 s; a value that is not a number of seconds stops the run with
    HeadStartError naming the variable (reported as the grader's failure, never a grade)."""
    text = os.environ.get(START_TIMEOUT_VARIABLE, "90")
    try:
        seconds = float(text)
    except ValueError:
        raise HeadStartError(f"{START_TIMEOUT_VARIABLE}={text!r} is not a number of seconds") from None
    return max(seconds, 0.0)


class RayHead:
    """`with RayHead(workdir) as head:` gives `head.address`; leaving stops every process it started."""

    def __init__(self, workdir: Path, *, num_cpus: int = GRADING_CPUS, object_store_mb: int = 100,
                 start_timeout: float | None = None, preexec_fn=None, extra_env: dict | None = None, wrap=None,
                 not_mine: frozenset[int] = frozenset()):
        self.workdir = Path(workdir)
        self.temp_dir = self.workdir / "ray"
        self.log_path = self.workdir / "ray-head.log"
        self.num_cpus = num_cpus
        self.object_store_mb = object_store_mb
        self.start_timeout = start_timeout_from_environment() if start_timeout is None else start_timeout
        self.preexec_fn = preexec_fn
        """Run in the head's process before it starts (puts it, and so its whole cluster, in a control group)."""
        self.extra_env = dict(extra_env or {})
        self.wrap = wrap or (lambda command, cwd=None: command)
        """Turns the head's command into one that starts it in the submission's sandbox."""
        self.not_mine = not_mine
        """Pids that name our temp dir but belong to someone else (the sandbox's holder, which
        ends the sandbox itself)."""
        self.process: subprocess.Popen | None = None
        self.address = ""
        self.auth_env = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}
        """For every process of this head's cluster (its workers inherit it, the driver is given it): Ray
        listens on every interface, so nothing without this submission's own secret may join."""
        self._core: list[tuple[str, psutil.Process]] = []

    def __enter__(self) -> "RayHead":
        last_error: Exception | None = None
        for _attempt in range(3):  # a free port can be taken by someone else before Ray binds it
            try:
                self._start()
                return self
            except HeadStartError as error:
                last_error = error
                self.stop()
        raise last_error  # type: ignore[misc]

    def __exit__(self, *exc) -> None:
        self.stop()

    def _start(self) -> None:
        self.temp_dir.mkdir(parents=True, exist_ok=True)
        port = free_port()
        command = [
            sys.executable, "-m", "ray.scripts.scripts", "start", "--head", "--block",
            f"--port={port}", "--node-ip-address=127.0.0.1", f"--num-cpus={self.num_cpus}",
            "--include-dashboard=false", f"--dashboard-port={free_port()}",
            f"--temp-dir={self.temp_dir}", f"--object-store-memory={self.object_store_mb * 1024 * 1024}",
            "--disable-usage-stats",
            # Nothing of a grading run reads the autoscaler's monitor or the log monitor (the
            # driver runs with log_to_driver=False): two Python processes, ~1.9 s of CPU, saved.
            "--no-monitor", "--include-log-monitor=false",
        ]
        log = open(self.log_path, "ab")
        try:
            self.process = subprocess.Popen(self.wrap(command, cwd=self.temp_dir), stdout=log,
                                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            env={**grading_environment(), **self.auth_env, **self.extra_env},
                                            start_new_session=True, cwd=self.workdir,
                                            preexec_fn=self.preexec_fn)
        finally:
            log.close()
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if READY_LINE in self._log_text():
                self.address = f"127.0.0.1:{port}"
                self._core = [(_name(p), p) for p in self.own_processes() if _name(p) in CORE_PROCESSES]
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise HeadStartError(f"the Ray head did not start within {self.start_timeout:.0f} s:\n"
                             f"{self._log_text()[-2000:]}")

    def _log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def stopped_core(self) -> list[str]:
        """The names of the head's core processes (GCS, raylet) that are no longer running: a
        runtime without them can run nothing more, so nothing should wait on it."""
        return sorted({name for name, proc in self._core if not _running(proc)})

    def own_processes(self) -> list[psutil.Process]:
        """The head, its descendants, and any process whose command line names our temp dir."""
        found: dict[int, psutil.Process] = {}
        if self.process is not None:
            try:
                head = psutil.Process(self.process.pid)
                found[head.pid] = head
                for child in head.children(recursive=True):
                    found[child.pid] = child
            except psutil.NoSuchProcess:
                pass
        for proc in processes_naming(str(self.temp_dir)):
            found.setdefault(proc.pid, proc)
        for pid in (os.getpid(), *self.not_mine):
            found.pop(pid, None)
        return list(found.values())

    def stop(self) -> None:
        """SIGKILL every process of this head at once: a private runtime has nothing to save, and
        its graceful stop (SIGTERM, then the head stops its cluster) cost about 2 s a submission."""
        if self.process is None:
            return
        killed: dict[int, psutil.Process] = {}
        for _ in range(3):  # a process started while we kill (a worker coming up) is caught next round
            found = [p for p in self.own_processes() if p.pid not in killed]
            if not found:
                break
            for proc in found:
                killed[proc.pid] = proc
                try:
                    proc.kill()
                except psutil.Error:  # gone already, or not ours to kill: nothing more to do for it
                    pass
        # Gone or a zombie: a zombie runs nothing, and its reaper may be a parent we do not own
        # (in the sandbox, the PID namespace's first process), so waiting for the reaping costs
        # seconds for nothing.
        deadline = time.monotonic() + 5
        while any(_running(p) for p in killed.values()) and time.monotonic() < deadline:
            time.sleep(0.02)
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            pass  # already SIGKILLed above; the kernel reaps it
        self.process = None


def _name(proc: psutil.Process) -> str:
    try:
        return proc.name()
    except psutil.Error:
        return ""


def _running(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False
