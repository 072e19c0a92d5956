"""Files written whole or not at all: saved reports, results.json, autograded notebooks, feedback
pages. A process killed while writing leaves the old file or the new one, never half of one; its
temporary file is named .tmp-<pid>-..., so a later run can tell a dead grader's from a live one's."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` by renaming a finished temporary file over it."""
    path = Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".tmp-{os.getpid()}-", suffix=path.suffix)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
