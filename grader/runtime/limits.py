"""Memory and process limits for everything one submission runs: its Ray head, the head's
workers (actors, tasks) and the grading process, all in one control group of their own.

The kernel enforces them: past the memory limit its OOM killer stops the largest process of the
group (the student's hog, not the machine's), past the task limit fork() and thread creation
fail. The grader reads the group's counters to tell the instructor and the student what hit
which limit. Where control groups are not writable (no root, no cgroup v1 memory/pids
hierarchy) the limits are not enforced, and each report's staff log says so.
"""

from __future__ import annotations

import functools
import os
import signal
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import psutil

from grader.runtime.owned import PREFIX, owned_name

CGROUP_ROOT = Path("/sys/fs/cgroup")


@dataclass(frozen=True)
class Limits:
    memory_mb: int = 3072
    """All processes of one submission together, Ray's own included (the reference solution peaks
    near 800 MB); three submissions at a time still leave most of a 24 GiB machine free."""
    tasks: int = 1024
    """Processes and threads together (the kernel counts both); Ray's processes run dozens of
    threads each: the reference solution peaks near 370."""


@dataclass(frozen=True)
class Usage:
    memory_kills: int = 0
    task_limit_hits: int = 0
    peak_memory_mb: float = 0.0
    peak_tasks: int = 0


DEFAULT_LIMITS = Limits()


def auto_jobs(limits: Limits) -> tuple[int, str]:
    """Submissions to grade at once on this machine: one per core, as long as each can have its
    whole memory limit; (jobs, why) for the run's header."""
    cores = os.cpu_count() or 1
    memory_mb = psutil.virtual_memory().total // 2**20
    jobs = max(1, min(cores, memory_mb // limits.memory_mb))
    return jobs, f"{cores} cores, {memory_mb / 1024:.0f} GiB of memory, {limits.memory_mb} MB planned per submission"


ENABLE_HINT = ("run grade as root, or from cgroup v1 memory and pids groups delegated to this user (as root: "
               "mkdir /sys/fs/cgroup/{memory,pids}/grading, chown -R USER both, and write the shell's pid "
               "into their cgroup.procs)")
"""What would make the limits enforced where they are not."""


@functools.lru_cache(maxsize=None)
def in_force(limits: Limits) -> tuple[bool, str]:
    """(enforced, a sentence for the run's header and the staff log): whether this user can put a
    submission in control groups of its own here, found by making one."""
    with ControlGroup(limits) as group:
        if group.enforced:
            return True, (f"limits: {limits.memory_mb} MB of memory and {limits.tasks} processes and threads "
                          "per submission, enforced by control groups")
        return False, f"limits: none enforced ({group.unavailable}); to enforce them, {ENABLE_HINT}"

class ControlGroup:
    """`with ControlGroup(limits) as group:` then start processes with `preexec_fn=group.enter`."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.name = f"{owned_name()}{uuid.uuid4().hex[:12]}"
        self.memory: Path | None = None
        self.pids: Path | None = None
        self.unavailable = ""

    def __enter__(self) -> "ControlGroup":
        try:
            memory = _own_hierarchy("memory") / self.name
            pids = _own_hierarchy("pids") / self.name
            memory.mkdir()
            self.memory = memory
            (memory / "memory.limit_in_bytes").write_text(str(self.limits.memory_mb * 1024 * 1024))
            pids.mkdir()
            self.pids = pids
            (pids / "pids.max").write_text(str(self.limits.tasks))
        except OSError as error:
            self.unavailable = f"{type(error).__name__}: {error}"
            self._remove()
        return self

    def __exit__(self, *exc) -> None:
        self._remove()

    @property
    def enforced(self) -> bool:
        return self.memory is not None and self.pids is not None

    def enter(self) -> None:
        """Called in a new child process before it runs anything (Popen's preexec_fn)."""
        for group in (self.memory, self.pids):
            if group is not None:
                with open(group / "cgroup.procs", "w") as procs:
                    procs.write(str(os.getpid()))

    def usage(self) -> Usage:
        if not self.enforced:
            return Usage()
        return Usage(memory_kills=_counter(self.memory / "memory.oom_control", "oom_kill"),
                     task_limit_hits=_counter(self.pids / "pids.events", "max"),
                     peak_memory_mb=_number(self.memory / "memory.max_usage_in_bytes") / 2**20,
                     peak_tasks=int(_number(self.pids / "pids.peak")))

    def _remove(self) -> None:
        for group in (self.memory, self.pids):
            if group is not None:
                self.remove_folder(group)
        self.memory = self.pids = None

    @staticmethod
    def remove_folder(group: Path) -> None:
        """Kill whatever is still inside (a fork bomb's leftovers), then remove the group."""
        for _ in range(50):
            try:
                members = [int(line) for line in (group / "cgroup.procs").read_text().split()]
            except (OSError, ValueError):
                members = []
            members = [pid for pid in members if pid != os.getpid()]
            if not members:
                break
            for pid in members:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            time.sleep(0.1)
        try:
            group.rmdir()
        except OSError:
            pass


def own_groups() -> list[Path]:
    """Every grader group under this process's own groups (for the sweep of orphans)."""
    found = []
    for controller in ("memory", "pids"):
        try:
            found += sorted(p for p in _own_hierarchy(controller).glob(f"{PREFIX}*") if p.is_dir())
        except OSError:
            continue
    return found


def _own_hierarchy(controller: str) -> Path:
    """The folder of this process's own group in a cgroup v1 controller (groups nest under it)."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            folder = CGROUP_ROOT / controller / path.lstrip("/")
            if folder.is_dir():
                return folder
    raise OSError(f"no writable cgroup v1 {controller} hierarchy")


def _counter(path: Path, key: str) -> int:
    try:
        for line in path.read_text().splitlines():
            name, _, value = line.partition(" ")
            if name == key:
                return int(value)
    except (OSError, ValueError):
        pass
    return 0


def _number(path: Path) -> float:
    try:
        return float(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0.0
