"""What a grader killed outright (SIGKILL, a crash, a power cut) leaves behind: its submissions'
Ray clusters and grading processes, their temp folders and control groups. Every name carries the
pid of the grader that made it (grade-<pid>-...), so the next run can tell what is orphaned and
remove exactly that, never what a grader still running (another instructor's, say) owns."""

from __future__ import annotations

import os
import re
import shutil
import signal
import tempfile
from pathlib import Path

import psutil

PREFIX = "grade-"
_OWNED = re.compile(r"^grade-(\d+)-")


def owned_name() -> str:
    """The start of a name for something this grader process makes."""
    return f"{PREFIX}{os.getpid()}-"


def sweep() -> list[str]:
    """Kill and remove everything left by graders that are gone; what was removed."""
    from grader.runtime.limits import ControlGroup, own_groups

    removed = []
    for folder in sorted(Path(tempfile.gettempdir()).glob(f"{PREFIX}*")):
        if _orphaned(folder.name):
            _kill_processes_naming(str(folder))
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(str(folder))
    for group in own_groups():
        if _orphaned(group.name):
            ControlGroup.remove_folder(group)
            removed.append(str(group))
    return removed


def _orphaned(name: str) -> bool:
    match = _OWNED.match(name)
    return bool(match) and int(match.group(1)) != os.getpid() and not psutil.pid_exists(int(match.group(1)))


def _kill_processes_naming(marker: str) -> None:
    for proc in psutil.process_iter(["pid", "cmdline"]):
        try:
            if any(marker in part for part in (proc.info["cmdline"] or ())):
                os.kill(proc.pid, signal.SIGKILL)
        except (psutil.NoSuchProcess, psutil.AccessDenied, ProcessLookupError, PermissionError):
            continue
