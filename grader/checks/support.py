"""What every check needs: Ray calls with deadlines that turn into feedback, student code run
with a time limit, and the one voice in which errors are explained to students."""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass

import ray

from grader.checks import CheckFailed

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


def get(ref, *, timeout: float, what: str):
    """ray.get with a deadline; any failure becomes the student's feedback."""
    try:
        return ray.get(ref, timeout=timeout)
    except ray.exceptions.GetTimeoutError:
        raise CheckFailed(f"{what} did not return within {timeout:g} s.") from None
    except ray.exceptions.RayError as error:
        raise CheckFailed(explain(error, what) + ".") from None


def start(what: str, function, *args, **kwargs):
    """Call student code that returns an ObjectRef or handle; a synchronous error becomes feedback."""
    try:
        return function(*args, **kwargs)
    except CheckFailed:
        raise
    except Exception as error:
        raise CheckFailed(explain(error, what) + ".") from None


@dataclass
class Outcome:
    value: object = None
    error: str = ""
    timed_out: bool = False
    seconds: float = 0.0


def call_with_deadline(function, *, timeout: float, what: str, **kwargs) -> Outcome:
    """Run driver-side student code (run_supervisor, run_experiments) in a thread with a deadline.

    A blocked `ray.get` cannot be interrupted, so the thread is abandoned on timeout; the
    grading process has its own wall-clock limit. The exception is kept as text only: a live
    traceback would hold the student's actor handles and keep their actors alive.
    """
    outcome = Outcome()

    def run():
        started = time.monotonic()
        try:
            outcome.value = function(**kwargs)
        except BaseException as error:  # student code may raise anything, even SystemExit
            outcome.error = explain(error, what)
        finally:
            outcome.seconds = time.monotonic() - started

    thread = threading.Thread(target=run, name=f"student:{what}", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        outcome.timed_out = True
        outcome.seconds = timeout
    return outcome


def wait_until(predicate, *, timeout: float, interval: float = 0.05):
    """Poll until predicate() is truthy; return its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def shorten(value, limit: int = 300) -> str:
    """A short repr of a value the student's code returned (whose __repr__ may misbehave)."""
    try:
        text = repr(value)
    except Exception as error:
        return f"<{type(value).__name__} whose repr() raised {type(error).__name__}>"
    return text if len(text) <= limit else text[: limit - 20] + " ... " + text[-12:]
