"""Grader-side code that runs inside the grading cluster's Ray workers.

These replace the inputs a student's code receives (training functions, the logging actor a
task gets, the `run_experiment` that `run_experiments` launches) so that what matters can be
observed directly and races are provoked on purpose instead of left to luck.
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import ray

GATE_FILE = "gate-open"
GATE_LIMIT_SECONDS = 60.0


class RecordingTrainer:
    """A train_fn that records each call (pid, start, end) and, while the gate is closed,
    keeps training: so "work() returns before training ends" is a fact, not a timing."""

    def __init__(self, name: str, directory: str, minimum_seconds: float = 0.2):
        self.name = name
        self.directory = directory
        self.minimum_seconds = minimum_seconds

    def __call__(self):
        folder = Path(self.directory)
        started = time.time()
        with open(folder / f"{self.name}.calls", "a") as calls:
            calls.write(f"start {os.getpid()} {started}\n")
        deadline = started + GATE_LIMIT_SECONDS
        while not (folder / GATE_FILE).exists() and time.time() < deadline:
            time.sleep(0.02)
        remaining = self.minimum_seconds - (time.time() - started)
        if remaining > 0:
            time.sleep(remaining)
        with open(folder / f"{self.name}.calls", "a") as calls:
            calls.write(f"end {os.getpid()} {time.time()}\n")
        return 0


def open_gate(directory: str) -> None:
    (Path(directory) / GATE_FILE).touch()


def trainer_calls(directory: str, name: str) -> list[dict]:
    """[{pid, start, end or None}] in call order."""
    try:
        lines = (Path(directory) / f"{name}.calls").read_text().splitlines()
    except FileNotFoundError:
        return []
    calls, open_calls = [], {}
    for line in lines:
        kind, pid, when = line.split()
        if kind == "start":
            call = {"pid": int(pid), "start": float(when), "end": None}
            calls.append(call)
            open_calls.setdefault(int(pid), []).append(call)
        elif open_calls.get(int(pid)):
            open_calls[int(pid)].pop(0)["end"] = float(when)
    return calls


@ray.remote
class Probe:
    """Stands in for a logging actor (records what it is sent, in arrival order) and relays
    calls to a real one after a delay (see RelayHandle)."""

    def __init__(self):
        self.records = []

    def log(self, index, message):
        self.records.append((index, message))

    def get_records(self):
        return list(self.records)

    def forward(self, target, args, kwargs, delay):
        time.sleep(delay)
        return ray.get(target.log.remote(*args, **kwargs), timeout=120)


class RelayHandle:
    """What a task receives instead of the logging actor's handle: `.log.remote(...)` goes
    through the Probe, which delivers it late but in order, and returns a real ObjectRef that
    resolves once the message is logged. Code that waits for its log calls sees every message;
    code that fires and forgets loses the race every time, not one time in three."""

    def __init__(self, target, probe, delay: float):
        self._target = target
        self._probe = probe
        self._delay = delay

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        if name == "log":
            return _RelayedMethod(self)
        return getattr(self._target, name)


class _RelayedMethod:
    def __init__(self, handle: RelayHandle):
        self._handle = handle

    def remote(self, *args, **kwargs):
        handle = self._handle
        return handle._probe.forward.remote(handle._target, args, kwargs, handle._delay)

    def options(self, **_options):
        return self


def provoking_run_experiment(student_function, probe, delay: float):
    """A `run_experiment` task that runs the student's own function with a RelayHandle."""

    @ray.remote
    def run_experiment(experiment_index, logging_actor, *args, **kwargs):
        return student_function(experiment_index, RelayHandle(logging_actor, probe, delay), *args, **kwargs)

    return run_experiment


def barrier_run_experiment(directory: str, expected: int, wait_seconds: float):
    """A `run_experiment` task that logs like a correct one, but first waits (up to wait_seconds)
    until all `expected` experiments have started, or one has already finished. Whether they
    overlapped is then a recorded fact (see overlap())."""

    @ray.remote
    def run_experiment(experiment_index, logging_actor, n_iterations=60, delay=1.0):
        folder = Path(directory)
        tag = uuid.uuid4().hex
        (folder / f"start-{tag}").write_text(str(time.time()))
        deadline = time.time() + wait_seconds
        while time.time() < deadline:
            if len(list(folder.glob("start-*"))) >= expected or any(folder.glob("done-*")):
                break
            time.sleep(0.02)
        messages = [logging_actor.log.remote(experiment_index, f"On iteration {i}") for i in range(n_iterations)]
        ray.get(messages, timeout=120)
        (folder / f"done-{tag}").write_text(str(time.time()))

    return run_experiment


def overlap(directory: str) -> tuple[int, int]:
    """(experiments started before the first one finished, experiments started)."""
    folder = Path(directory)
    starts = [float(p.read_text() or 0) for p in folder.glob("start-*")]
    dones = [float(p.read_text() or 0) for p in folder.glob("done-*")]
    first_done = min(dones) if dones else float("inf")
    return sum(1 for s in starts if s < first_done), len(starts)
