"""What a grader killed outright (SIGKILL, a crash, a power cut) leaves behind: its submissions'
Ray clusters and grading processes, their temp folders and control groups. Every name carries the
pid of the grader that made it (grade-<pid>-...), so the next run can tell what is orphaned and
remove exactly that, never what a grader still running (another instructor's, say) owns."""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
from pathlib import Path

from grader.runtime.limits import ControlGroup, own_groups
from grader.runtime.owned import PREFIX, orphaned, processes_naming


def sweep() -> list[str]:
    """Kill and remove everything left by graders that are gone; what was removed."""
    removed = []
    for folder in sorted(Path(tempfile.gettempdir()).glob(f"{PREFIX}*")):
        if orphaned(folder.name):
            _kill_processes_naming(str(folder))
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(str(folder))
    for group in own_groups():
        if orphaned(group.name):
            ControlGroup.remove_folder(group)
            removed.append(str(group))
    return removed


def _kill_processes_naming(marker: str) -> None:
    for proc in processes_naming(marker):
        try:
            os.kill(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            continue
