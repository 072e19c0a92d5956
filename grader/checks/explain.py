"""The one voice in which what the student's code did is explained to students: an exception
(from Ray or from their code) as one sentence naming the method and the place, a value shortened."""

from __future__ import annotations

import re

import ray

ANSI = re.compile(r"\x1b\[[0-9;]*m")
NOT_IMPLEMENTED = "is not implemented yet (it still raises NotImplementedError): write its body"


def explain(error: BaseException, what: str) -> str:
    """One sentence on what the student's code raised, naming the method Ray ran and its place."""
    if isinstance(error, ray.exceptions.GetTimeoutError):
        return f"{what} did not finish in time"
    text = ANSI.sub("", _text(error))
    method = _innermost_method(text)
    if isinstance(error, ray.exceptions.ActorDiedError) and "creation task" not in text:
        return f"the actor died while {what} was running (it was killed, or its process crashed)"
    if isinstance(error, ray.exceptions.RayActorError) and "creation task" not in text:
        return f"the actor was not available for {what} ({type(error).__name__})"
    culprit = method or what
    if isinstance(error, NotImplementedError) or _last_exception_name(error) == "NotImplementedError":
        return f"{culprit} {NOT_IMPLEMENTED}"
    if isinstance(error, ray.exceptions.RayError):
        detail = _last_exception_line(text) or type(error).__name__
        return f"{culprit} raised {detail}{_place(text)}"
    return f"{what} raised {type(error).__name__}: {_first_line(error)}"


def _innermost_method(text: str) -> str:
    """`Worker.state()` from Ray's `ray::Worker.state()` markers; the last one is where it failed."""
    found = re.findall(r"ray::([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)?)\(", text)
    if not found:
        return ""
    name = found[-1]
    return name if name.endswith("__init__") else f"{name}()"


def _text(error: BaseException) -> str:
    try:
        return str(error)
    except Exception:  # a student's exception class may break str()
        return type(error).__name__


def _first_line(error: BaseException) -> str:
    text = ANSI.sub("", _text(error)).strip()
    for line in reversed(text.splitlines()):
        if line.strip():
            return line.strip()[:300]
    return type(error).__name__


def _last_exception_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in reversed(lines):
        if re.match(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)\b", line):
            return line[:300]
    return ""


def _last_exception_name(error: BaseException) -> str:
    line = _last_exception_line(ANSI.sub("", _text(error)))
    return line.split(":")[0].split(".")[-1] if line else ""


def _place(text: str) -> str:
    """` (cell 7, line 12)` from the innermost frame that is the student's code."""
    frames = re.findall(r'File "([^"]+)", line (\d+)', ANSI.sub("", text))
    for filename, line in reversed(frames):
        if "site-packages" in filename or "/grader/" in filename or filename.startswith("<"):
            continue
        return f" ({filename.rsplit('/', 1)[-1]}, line {line})"
    return ""


def shorten(value, limit: int = 300) -> str:
    """A short repr of a value the student's code returned (whose __repr__ may misbehave)."""
    try:
        text = repr(value)
    except Exception as error:
        return f"<{type(value).__name__} whose repr() raised {type(error).__name__}>"
    return text if len(text) <= limit else text[: limit - 20] + " ... " + text[-12:]
