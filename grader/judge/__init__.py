"""The judge: the one process that decides every check of a submission and writes its journal.

It never imports, execs or unpickles anything that came from the submission: the student's code
runs in a host process of its own (grader.session.host), which the judge drives through JSON
requests; the student's actors are called through handles that need no student class
(grader.judge.safe_ray), and every value they return is decoded without running any of its code.
"""

from __future__ import annotations

import ctypes
import ctypes.util

PR_SET_DUMPABLE = 4


def not_dumpable() -> None:
    """No process of the same user may trace this one or read its memory or descriptors
    (/proc/<pid>/mem, /proc/<pid>/fd): the judge holds the journal."""
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    if libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE, 0) failed")
