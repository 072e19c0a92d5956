"""Call the student's run_experiments twice and record what happened.

- provoked: its run_experiment tasks get a RelayHandle, so every log call they do not wait for
  arrives late: the completeness race happens on every run, not one run in three; and its own
  time.sleep returns at once (grader.checks.clock): sleeping instead of waiting reads early on
  every machine. Four experiments of three iterations, neither the contract's defaults nor each
  other: a count written into the code instead of read from the arguments shows.
  What it returned counts only as far as its tasks' log calls really reached a logging actor
  (forged_logs). This one call judges completeness: a call at the student's own timing (it once
  had a second, "natural" call) never failed where this one passed, and cost a LoggingActor
  process and a call per submission (issue 24).
- barrier: run_experiment replaced by one that records whether the experiments overlapped; a
  call that returns without waiting for its tasks is given the time they need to start. Kept apart
  from the provoked call: its tasks wait for each other, which would add the barrier's wait to a
  sequential submission's completeness call.
After each call: which actors it created, and which of them are still alive 10 s later.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import ray

from grader.checks import observe, probes
from grader.checks.calls import Outcome, call_with_deadline
from grader.checks.explain import explain

RELAY_DELAY = 0.1
CALL_SECONDS = 60.0
BARRIER_SECONDS = 20.0
BARRIER_EXPERIMENTS = 3
NOTHING_STARTED_SECONDS = 5.0


@dataclass
class Call:
    kwargs: dict
    outcome: Outcome
    created: list = field(default_factory=list)
    alive_after: list = field(default_factory=list)
    delivered: dict = field(default_factory=dict)
    """{experiment index: log calls the relay delivered to a LoggingActor during this call}."""
    uncounted: str = ""
    """Why the relay could not say what it delivered (its actor was killed), if it could not."""
    sleeps: int = 0
    """time.sleep calls of the submission's driver code served at once during this call."""
    launched: list = field(default_factory=list)
    """[(experiment index, n_iterations, delay)] of the run_experiment tasks it launched, as each
    received them."""

    @property
    def text(self) -> str:
        return call_text(self.kwargs)


def call_text(kwargs: dict) -> str:
    return "run_experiments(" + ", ".join(f"{k}={v}" for k, v in kwargs.items()) + ")"


@dataclass
class ExperimentRuns:
    provoked: Call
    barrier: Call
    overlap: tuple[int, int]


def _call(sub, probe, *, serve_sleeps: bool = False, **kwargs) -> Call:
    sleeps = []

    def run_experiments(**arguments):
        value, served = sub.call_serving_sleeps("run_experiments", **arguments)
        sleeps.append(served)
        return value

    before = set(observe.actors())
    outcome = call_with_deadline(run_experiments if serve_sleeps else sub.run_experiments,
                                 timeout=CALL_SECONDS, what=call_text(kwargs), **kwargs)
    created = [a for a in observe.actors().values() if a.id not in before]
    # Late relayed calls may hold the logging actor for a moment after the call: hence the wait.
    call = Call(kwargs, outcome, created, observe.alive_after([a.id for a in created], timeout=10),
                sleeps=sum(sleeps))
    if probe is not None:  # to any logging actor (one made before the call counts too), during the call
        try:
            delivered = ray.get(probe.get_delivered.remote(), timeout=30)
            launched = ray.get(probe.get_launched.remote(), timeout=30)
        except Exception as error:  # the submission may kill the grader's actors: its call cannot be counted
            call.uncounted = explain(error, "the grader's relay of log calls")
            return call
        call.launched = [(index, iterations, delay) for index, iterations, delay, when in launched
                         if when >= outcome.started_at]
        names = sub.class_names("LoggingActor")
        loggers = {a.id for a in observe.actors().values() if a.class_name in names}
        for target, index, when in delivered:
            if target in loggers and outcome.started_at <= when <= outcome.finished_at \
                    and isinstance(index, (int, str)):
                call.delivered[index] = call.delivered.get(index, 0) + 1
    return call


def _let_launched_tasks_start(evidence, directory: str, call: Call) -> None:
    """A run_experiments that returns without waiting for its tasks (a sleep where ray.get belongs)
    leaves them starting: on a busy machine they start after it returned, and whether they overlap
    must not depend on how busy the machine was. Wait until every experiment has started, or one
    has finished (the overlap is decided then), or the barrier's own wait is over; a few seconds
    only when none has started (a call that launched nothing), none when it failed before any did."""
    if call.outcome.error and not evidence.of("start", directory):
        return
    waiting_since = time.monotonic()
    while not evidence.of("done", directory):
        started = len(evidence.of("start", directory))
        waited = time.monotonic() - waiting_since
        if started >= BARRIER_EXPERIMENTS or waited >= (BARRIER_SECONDS if started else NOTHING_STARTED_SECONDS):
            return
        time.sleep(0.05)


def forged_logs(call: Call) -> str:
    """Why the logs a call returned cannot be what its tasks logged ("" if they can): each
    experiment's messages count only once that many log calls had reached its logging actor."""
    logs = call.outcome.value
    if call.outcome.error or call.outcome.timed_out or not isinstance(logs, dict) or call.uncounted:
        return ""
    k = call.kwargs["n_iterations"]
    claimed = sum(1 for messages in logs.values() if isinstance(messages, list) and len(messages) >= k)
    backed = sum(1 for count in call.delivered.values() if count >= k)
    if claimed > backed:
        return (f"{call.text} returned {claimed} complete experiment(s), but by then its tasks' log calls had "
                f"reached a LoggingActor for {backed} (log calls per experiment: {dict(call.delivered)})")
    return ""


def run_experiments_twice(sub, probe) -> ExperimentRuns:
    with sub.replaced("run_experiment", probes.Provoking(probe, RELAY_DELAY)):
        provoked = _call(sub, probe, serve_sleeps=True, n_experiments=4, n_iterations=3, delay=0.0)

    directory = sub.scratch("parallel")
    with sub.replaced("run_experiment", probes.Barrier(directory, BARRIER_EXPERIMENTS, BARRIER_SECONDS)):
        barrier = _call(sub, None, n_experiments=BARRIER_EXPERIMENTS, n_iterations=2, delay=0.0)
        _let_launched_tasks_start(sub.evidence, directory, barrier)
    not_tasks = {actor.pid for actor in observe.actors().values()}
    return ExperimentRuns(provoked, barrier, probes.overlap(sub.evidence, directory, not_tasks))
