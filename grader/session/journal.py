"""The journal of one grading process, both directions of its wire format: one JSON object per
line, flushed as each event happens, so whatever was graded before a crash or a kill survives it.
The grading process writes these kinds of line and no other; grader.verdict reads them (as claims:
the student's code runs in the process that writes them)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path

from grader.records import CheckResult

LOADED, STARTED, RESULT, TAMPERED, CRASHED, FINISHED = "loaded", "started", "result", "tampered", "crashed", "finished"
LOADING_MARKER = "grader: loading the submission"
"""Printed on the grading process's stdout (a pipe the parent drains) just before the student's
code first runs: nothing can take it back, so a crash reported without it is the grader's own."""


class Journal:
    def __init__(self, target: Path | int):
        """A path, or a file descriptor the grader opened and handed over."""
        self._file = open(target, "a", encoding="utf-8")

    def _write(self, event: dict) -> None:
        self._file.write(json.dumps(event) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def loaded(self, problem: str, notes: list[str], flags: list[str]) -> None:
        self._write({"event": LOADED, "problem": problem, "notes": notes, "flags": flags})

    def started(self, check_id: str) -> None:
        self._write({"event": STARTED, "id": check_id})

    def result(self, result: CheckResult, staff: str) -> None:
        self._write({"event": RESULT, "result": asdict(result), "staff": staff})

    def tampered(self, check_id: str, flag: str) -> None:
        self._write({"event": TAMPERED, "id": check_id, "flag": flag})

    def crashed(self, staff: str) -> None:
        self._write({"event": CRASHED, "staff": staff})

    def finished(self) -> None:
        self._write({"event": FINISHED})


def read_lines(path: Path) -> tuple[str, ...]:
    """The journal's lines as written (a missing journal has none)."""
    try:
        return tuple(Path(path).read_text(encoding="utf-8", errors="replace").splitlines())
    except FileNotFoundError:
        return ()


def parse_line(line: str) -> dict | None:
    """One line's event, or None if it is not a JSON object (torn by a kill, or not ours)."""
    try:
        event = json.loads(line)
    except json.JSONDecodeError:
        return None
    return event if isinstance(event, dict) else None


def read(path: Path) -> list[dict]:
    """Events in order; unreadable lines (a torn last line: the process was killed mid-write) dropped."""
    return [event for event in map(parse_line, read_lines(path)) if event is not None]
