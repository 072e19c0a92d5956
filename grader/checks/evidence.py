"""What the grader's instruments report from inside the submission's processes (a training
function in a Worker, a task in place of run_experiment), and how the judge receives it.

Each report is a datagram to a socket the judge reads, in a folder the submission's processes
may read but not change (grader.runtime.isolation binds it read-only). The judge stamps each one
on arrival with its own clock, and the kernel says which process sent it (SO_PASSCRED): a report
says what happened, when and where, and none of the three can be written by the code being
graded into a file the judge later reads. The same folder holds the gates the judge opens.

Code in those processes could still send a report of its own making; what the judge concludes
from them is cross-checked (grader.checks.probes: trainer_calls, overlap), and a report no
instrument could have sent is kept as a forgery (Evidence.forgeries).
"""

from __future__ import annotations

import os
import socket
import struct
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

SOCKET_NAME = "evidence.sock"
MAX_EVENTS = 20000


CREDENTIALS = hasattr(socket, "SO_PASSCRED")
"""Linux: the kernel names each report's sender. Elsewhere (a student's own kernel on a Mac) the
report's own word is taken: a preview, where nothing is at stake."""


def report(folder: str, *fields) -> None:
    """Send one report (from an instrument); a report that cannot be sent is simply missing."""
    path = os.path.join(os.path.dirname(os.path.abspath(folder)), SOCKET_NAME)
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender:
            sender.sendto("\t".join(map(str, (*fields, os.getpid()))).encode()[:4096], path)
    except OSError:
        pass


@dataclass(frozen=True)
class Event:
    seconds: float
    """When the judge received it (time.time(), the judge's clock)."""
    pid: int
    """The sending process, as the submission's own processes (and Ray's actor table) number it."""
    fields: tuple[str, ...]
    parent: str = ""
    """The name of the sender's parent process ("raylet" for a Ray worker; "" where not known)."""


class Evidence:
    """The judge's end: a folder of gates and a socket of reports."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)
        self.events: list[Event] = []
        self.forgeries: list[str] = []
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if CREDENTIALS:
            self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self._socket.bind(str(self.root / SOCKET_NAME))
        os.chmod(self.root / SOCKET_NAME, 0o666)  # the submission's user id may report
        self._socket.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._receive, daemon=True)
        self._thread.start()

    def _receive(self) -> None:
        size = socket.CMSG_SPACE(struct.calcsize("iII")) if CREDENTIALS else 0
        while not self._stop.is_set():
            try:
                data, ancillary, _, _ = self._socket.recvmsg(4096, size)
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                return
            fields = tuple(data.decode("utf-8", "replace").split("\t"))
            pid, parent = 0, ""
            if len(fields) > 1 and fields[-1].isdigit():  # the pid an instrument adds (see report)
                pid, fields = int(fields[-1]), fields[:-1]
            for level, kind, payload in ancillary:
                if CREDENTIALS and level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                    sender = struct.unpack("iII", payload[:12])[0]
                    pid, parent = _innermost_pid(sender), _parent_name(sender)
            if len(self.events) < MAX_EVENTS:
                self.events.append(Event(time.time(), pid, fields, parent))

    def folder(self, label: str) -> str:
        """A new folder the judge writes (gates) and the submission's processes may only read."""
        path = tempfile.mkdtemp(prefix=f"{label}-", dir=self.root)
        os.chmod(path, 0o755)
        return path

    def of(self, kind: str, folder: str, *rest: str) -> list[Event]:
        """The reports `kind` for `folder` (and `rest`), in order of arrival."""
        key = (kind, Path(folder).name, *rest)
        return [e for e in list(self.events) if e.fields[:len(key)] == key]

    def forged(self, what: str) -> None:
        if what not in self.forgeries:
            self.forgeries.append(what)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self._socket.close()


def _parent_name(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            parent = int(stat.read().rsplit(")", 1)[1].split()[1])
        with open(f"/proc/{parent}/comm") as comm:
            return comm.read().strip()
    except (OSError, ValueError, IndexError):
        return "unknown"


def _innermost_pid(pid: int) -> int:
    """A pid as the sandbox's own processes see it (the judge is outside their PID namespace)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("NSpid:"):
                    return int(line.split()[-1])
    except (OSError, ValueError):
        pass
    return pid
