"""Names that say which grader made a thing: every temp folder and control group of a grading run
is called grade-<pid>-..., so a later run can tell what a dead grader left behind (an orphan)
from what a grader still running owns."""

from __future__ import annotations

import os
import re

import psutil

PREFIX = "grade-"
_OWNED = re.compile(r"^grade-(\d+)-")


def owned_name() -> str:
    """The start of a name for something this grader process makes."""
    return f"{PREFIX}{os.getpid()}-"


def orphaned(name: str) -> bool:
    """Made by another grader process that no longer exists."""
    match = _OWNED.match(name)
    return bool(match) and int(match.group(1)) != os.getpid() and not psutil.pid_exists(int(match.group(1)))


def processes_naming(*markers: str) -> list[psutil.Process]:
    """Processes whose command line holds every marker (a grading run's temp dir names its processes)."""
    found = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        try:
            cmdline = " ".join(proc.info["cmdline"] or ())
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        if all(marker in cmdline for marker in markers):
            found.append(proc)
    return found
