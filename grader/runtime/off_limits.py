"""Which paths the code being graded may not touch, for the audit hook that every process of a
grading run installs at start-up (grader/runtime/startup/sitecustomize.py), and the record of what
it refused.

The hook reads its rules from a file the code being graded can read too, so the file names no
path: only a salted hash of each one (the hook hashes every folder a path is in and looks them
up). The refused attempts are not written to a file that code could truncate: each is sent as a
datagram to a socket this process reads (AttemptRecord), so what was sent stays sent.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import socket
import threading
from dataclasses import dataclass
from pathlib import Path

from grader.assignment import Assignment, hidden_folders
from grader.records import Submission

MAX_ATTEMPTS_KEPT = 1000
"""Datagrams kept per run (a flood of refused attempts costs no memory)."""


@dataclass(frozen=True)
class OffLimits:
    deny: tuple[str, ...] = ()
    allow: tuple[str, ...] = ()

    def write(self, workdir: Path, own_files: list[Path], record: Path) -> Path:
        """The guard file for one submission's run (its rules, no path in clear); `record` is the
        socket of the run's AttemptRecord."""
        config = workdir / "guard.json"
        salt = secrets.token_hex(16)
        deny = [*self.deny, *(str(p) for p in own_files), str(config), str(record)]
        config.write_text(json.dumps({"salt": salt, "deny": sorted({path_hash(salt, _real(p)) for p in deny}),
                                      "allow": sorted({path_hash(salt, _real(p)) for p in self.allow}),
                                      "record": str(record)}))
        return config


def path_hash(salt: str, real_path: str) -> str:
    """How the guard file names a path (sitecustomize.py hashes the same way)."""
    return hashlib.sha256(f"{salt}\0{real_path}".encode("utf-8", "surrogateescape")).hexdigest()


class AttemptRecord:
    """`with AttemptRecord(path) as record:` a datagram socket at `path` that the audit hooks of
    the run send each refused attempt to; record.flags() once the block is left (every datagram
    sent before then is read). What arrives is never taken as a command: an empty or forged
    datagram is one more line, and a flood costs no memory (MAX_ATTEMPTS_KEPT)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.lines: list[str] = []
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)

    def __enter__(self) -> "AttemptRecord":
        self._socket.bind(str(self.path))
        os.chmod(self.path, 0o666)  # every process of the run may report, whatever its user
        self._socket.settimeout(0.2)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(5)
        self._socket.setblocking(False)
        while self._take():  # what was queued when the reader stopped
            pass
        self._socket.close()

    def _read(self) -> None:
        while not self._stop.is_set():
            self._take()

    def _take(self) -> bool:
        try:
            data = self._socket.recv(8192)
        except (BlockingIOError, TimeoutError, socket.timeout):
            return False
        except OSError:
            return False
        if data and len(self.lines) < MAX_ATTEMPTS_KEPT:
            self.lines.append(data.decode("utf-8", "replace"))
        return True

    def flags(self, limit: int = 5) -> list[str]:
        """Flags for the instructor, from the attempts the hooks refused."""
        return attempt_flags(self.lines, limit)


def for_submission(submission: Submission, everyone: list[Submission], assignment: Assignment, *, results_dir=None,
                   extra_deny=()) -> OffLimits:
    """What the sandbox hides (every assignment's reference solutions, and the graded one's folder
    wherever it is), every other student's folder, the results folder and whatever else the caller
    names are off limits; the student's own folder is not."""
    deny = [str(folder) for folder in hidden_folders(assignment)]
    own = _folder(submission)
    for other in everyone:  # students in folders of their own, or files side by side in one folder
        if other is not submission:
            deny.append(str(_folder(other) if _folder(other) != own else other.path))
    if results_dir:
        deny.append(str(results_dir))
    deny += [str(p) for p in extra_deny]
    return OffLimits(deny=tuple(deny), allow=(str(_folder(submission)),))


def attempt_flags(lines: list[str], limit: int = 5) -> list[str]:
    seen = list(dict.fromkeys(tuple(line.split("\t")[:2]) for line in lines if "\t" in line))
    flags = [f"Tampering: the code being graded tried to reach {path} ({event}), which is off limits; "
             "it was refused." for event, path in seen[:limit]]
    if len(seen) > limit:
        flags.append(f"... and {len(seen) - limit} more refused attempts of the same kind.")
    return flags


def _folder(submission: Submission) -> Path:
    path = Path(submission.path)
    return path.parent if path.suffix else path


def _real(path) -> str:
    return os.path.realpath(str(path))
