"""Processes the grader starts and owns: a Ray head per submission and the grading process.

Every Python process of a grading run starts with STARTUP_DIR first on its path, for the two
things there: sitecustomize.py (the audit hook that keeps the code being graded off limits,
active only in grading runs) and a stand-in for rfc3987_syntax (an import Ray never uses that
costs each Ray worker 2.4 s of CPU where Jupyter is installed).
"""

import os
import sys
from pathlib import Path

STARTUP_DIR = Path(__file__).resolve().parent / "startup"


def with_startup_path(env: dict) -> dict:
    """`env` with STARTUP_DIR first on PYTHONPATH, for the processes it is given to."""
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(STARTUP_DIR), env.get("PYTHONPATH", "")) if p)
    return env


def use_startup_path() -> None:
    """Put STARTUP_DIR first on sys.path of this process."""
    path = str(STARTUP_DIR)
    if path not in sys.path:
        sys.path.insert(0, path)
