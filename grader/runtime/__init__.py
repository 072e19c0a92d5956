"""Processes the grader starts and owns: a Ray head per submission and the grading process."""

import os
from pathlib import Path

FAST_IMPORT_DIR = Path(__file__).resolve().parent / "fast_import"


def with_fast_imports(env: dict) -> dict:
    """`env` with the fast-import shims first on PYTHONPATH, for the processes it is given to."""
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(FAST_IMPORT_DIR), env.get("PYTHONPATH", "")) if p)
    return env


def use_fast_imports() -> None:
    """Put the fast-import shims first on sys.path of this process (see fast_import/)."""
    import sys

    path = str(FAST_IMPORT_DIR)
    if path not in sys.path:
        sys.path.insert(0, path)
