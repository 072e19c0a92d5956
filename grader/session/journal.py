"""The results file of one grading process: one JSON object per line, flushed as each event
happens, so whatever was graded before a crash or a kill survives it."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path

from grader.records import CheckResult


class Journal:
    def __init__(self, target: Path | int):
        """A path, or a file descriptor the grader opened and handed over."""
        self._file = open(target, "a", encoding="utf-8")

    def _write(self, event: dict) -> None:
        self._file.write(json.dumps(event) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def loaded(self, problem: str, notes: list[str], flags: list[str]) -> None:
        self._write({"event": "loaded", "problem": problem, "notes": notes, "flags": flags})

    def started(self, check_id: str) -> None:
        self._write({"event": "started", "id": check_id})

    def result(self, result: CheckResult, staff: str) -> None:
        self._write({"event": "result", "result": asdict(result), "staff": staff})

    def tampered(self, check_id: str, flag: str) -> None:
        self._write({"event": "tampered", "id": check_id, "flag": flag})

    def crashed(self, staff: str) -> None:
        self._write({"event": "crashed", "staff": staff})

    def finished(self) -> None:
        self._write({"event": "finished"})


def read(path: Path) -> list[dict]:
    """Events in order; a torn last line (the process was killed mid-write) is dropped."""
    events = []
    try:
        lines = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return events
    for line in lines:
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(event, dict):
            events.append(event)
    return events
