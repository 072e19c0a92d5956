"""Calls into Ray and into the student's code, each with a deadline: a failure or a time-out
becomes the student's feedback (CheckFailed), never a hang or a grader error."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import ray

from grader.checks import CheckFailed
from grader.checks.explain import explain


def get(ref, *, timeout: float, what: str):
    """ray.get with a deadline; any failure becomes the student's feedback. Tasks the submission's
    own process launched for the judge (grader.session.remote.HostTask) are waited for there."""
    tasks = ref if isinstance(ref, list) else [ref]
    if tasks and all(hasattr(task, "wait_in_host") for task in tasks):
        try:
            finished = tasks[0].wait_in_host(tasks, timeout)
        except Exception as error:
            raise CheckFailed(explain(error, what) + ".") from None
        if not finished:
            raise CheckFailed(f"{what} did not return within {timeout:g} s.")
        return None
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
    started_at: float = 0.0
    finished_at: float = 0.0
    """When the call began and returned (time.time(), the judge's clock)."""


def call_with_deadline(function, *, timeout: float, what: str, **kwargs) -> Outcome:
    """Run driver-side student code (run_supervisor, run_experiments) in a thread with a deadline.

    A blocked `ray.get` cannot be interrupted, so the thread is abandoned on timeout; the
    grading process has its own wall-clock limit. The exception is kept as text only: a live
    traceback would hold the student's actor handles and keep their actors alive.
    """
    outcome = Outcome()

    def run():
        started = time.monotonic()
        outcome.started_at = time.time()
        try:
            outcome.value = function(**kwargs)
        except BaseException as error:  # student code may raise anything, even SystemExit
            outcome.error = explain(error, what)
        finally:
            outcome.seconds = time.monotonic() - started
            outcome.finished_at = time.time()

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
