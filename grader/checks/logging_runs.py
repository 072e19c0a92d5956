"""Call the student's run_experiments three ways and record what happened.

- provoked: its run_experiment tasks get a RelayHandle, so every log call they do not wait for
  arrives late: the completeness race happens on every run, not one run in three.
- natural: exactly the student's code.
After each call: which actors it created, and which of them are still alive 10 s later.
- barrier: run_experiment replaced by one that records whether the experiments overlapped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from grader.checks import observe, probes
from grader.checks.calls import Outcome, call_with_deadline

RELAY_DELAY = 0.25
CALL_SECONDS = 60.0
BARRIER_SECONDS = 20.0


@dataclass
class Call:
    label: str
    kwargs: dict
    outcome: Outcome
    created: list = field(default_factory=list)
    alive_after: list = field(default_factory=list)

    @property
    def text(self) -> str:
        return call_text(self.kwargs)


def call_text(kwargs: dict) -> str:
    return "run_experiments(" + ", ".join(f"{k}={v}" for k, v in kwargs.items()) + ")"


@dataclass
class ExperimentRuns:
    provoked: Call
    natural: Call
    barrier: Call
    overlap: tuple[int, int]


def _call(sub, label: str, **kwargs) -> Call:
    before = set(observe.actors())
    outcome = call_with_deadline(sub.run_experiments, timeout=CALL_SECONDS, what=call_text(kwargs), **kwargs)
    created = [a for a in observe.actors().values() if a.id not in before]
    # Late relayed calls may hold the logging actor for a moment after the call: hence the wait.
    return Call(label, kwargs, outcome, created, observe.alive_after([a.id for a in created], timeout=10))


def run_experiments_three_ways(sub, probe) -> ExperimentRuns:
    with sub.replaced("run_experiment", probes.Provoking(probe, RELAY_DELAY)):
        provoked = _call(sub, "provoked", n_experiments=3, n_iterations=4, delay=0.0)

    natural = _call(sub, "natural", n_experiments=4, n_iterations=3, delay=0.0)

    directory = sub.scratch("parallel")
    with sub.replaced("run_experiment", probes.Barrier(directory, 3, BARRIER_SECONDS)):
        barrier = _call(sub, "barrier", n_experiments=3, n_iterations=2, delay=0.0)
    not_tasks = {actor.pid for actor in observe.actors().values()}
    return ExperimentRuns(provoked, natural, barrier, probes.overlap(sub.evidence, directory, not_tasks))
