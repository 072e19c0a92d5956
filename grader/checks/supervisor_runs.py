"""Drive a student's Supervisor through its life and record what was observed.

Training functions are the grader's RecordingTrainers behind a closed gate, so the order of
events is forced, not timed: work() either returns while training cannot have finished, or it
does not; state() either answers while the workers train, or it does not.

One supervisor serves every check when its state() answers every time (run_tree): state() is
sampled before work(), work() is timed, state() is sampled during and after training, and then the
same supervisor is terminated. A state() that fails even once may have wedged the actor (a plain
actor stuck in state() answers nothing after it), so then the lifecycle is observed again on a
second supervisor whose state() is never called (run_lifecycle): one broken method costs only the
checks about it, and a working one costs three processes fewer (a supervisor and its two workers).
Every step records its outcome instead of raising, so each check reports its own finding.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import ray

from grader.checks import observe, probes
from grader.checks.calls import wait_until
from grader.checks.explain import explain

MODEL_NAMES = ("beta", "alpha")  # not in sorted order: a supervisor that sorts its models answers out of order
SPARE_MODEL_NAMES = ("gamma", "delta")  # the second supervisor's: a student may name actors after models
READY_SECONDS = 30.0
WORK_RETURN_SECONDS = 15.0  # the gate is closed: training cannot end while we wait
TRAINING_START_SECONDS = 15.0
TRAINING_END_SECONDS = 20.0
STATE_SECONDS = 10.0
DONE_SECONDS = 20.0
STATE_SAMPLES = 3


@dataclass
class Lifecycle:
    models: tuple[str, ...] = MODEL_NAMES
    directory: str = ""
    create_error: str = ""
    workers: list = field(default_factory=list)
    """ActorRecords of the live actors the supervisor created after __init__."""
    work_called_at: float = 0.0
    work_returned: bool = False
    work_error: str = ""
    started: tuple[str, ...] = ()
    """Models whose train_fn was called after work()."""
    calls: dict = field(default_factory=dict)
    worker_pids: set = field(default_factory=set)
    supervisor_pid: int = 0
    terminate_error: str = ""
    alive_after_terminate: list = field(default_factory=list)


@dataclass
class States:
    models: tuple[str, ...] = MODEL_NAMES
    create_error: str = ""
    started: tuple[str, ...] = ()
    states_before: list = field(default_factory=list)
    before_error: str = ""
    states_during: list = field(default_factory=list)
    during_error: str = ""
    states_staggered: object = None
    """state() once the first model alone had finished training (None if it could not be observed)."""
    states_polled: list = field(default_factory=list)
    states_after: list = field(default_factory=list)
    after_error: str = ""

    @property
    def all_done(self) -> bool:
        return bool(self.states_polled) and _all(self.states_polled[-1], "DONE", len(self.models))


def _all(states, value: str, count: int) -> bool:
    return isinstance(states, (list, tuple)) and len(states) == count and all(s == value for s in states)


def start_supervisor(sub, *args, label: str):
    """(supervisor handle once its __init__ has returned, "") or (None, why not)."""
    try:
        supervisor = sub.Supervisor.remote(*args)
        ray.get(supervisor.__ray_ready__.remote(), timeout=READY_SECONDS)
        return supervisor, ""
    except ray.exceptions.GetTimeoutError:
        return None, f"{label} was not ready within {READY_SECONDS:g} s (its __init__ did not return)"
    except Exception as error:
        return None, explain(error, label)


def _create(sub, directory: str, names: tuple[str, ...]):
    models = [(name, probes.RecordingTrainer(name, directory)) for name in names]
    return start_supervisor(sub, models, label="Supervisor.remote(models)")


def _started(sub, directory: str, names: tuple[str, ...], since: float) -> tuple[str, ...]:
    return tuple(n for n in names
                 if any(c["start"] >= since for c in probes.trainer_calls(sub.evidence, directory, n)))


def run_lifecycle(sub, models: tuple[str, ...] = SPARE_MODEL_NAMES) -> Lifecycle:
    """A supervisor that is created, works, trains behind the gate and is terminated; its state()
    is never called."""
    run = Lifecycle(models=models, directory=sub.scratch("lifecycle"))
    supervisor, run.create_error = _create(sub, run.directory, run.models)
    if supervisor is None:
        return run
    supervisor_id = observe.actor_id(supervisor)
    try:
        _workers_started(supervisor_id, len(run.models))  # training starts no sooner than its worker
        run.workers = stable_children(supervisor_id)
        _time_work(sub, run, supervisor)
        probes.open_gate(run.directory)
        _finish_lifecycle(sub, run, supervisor, supervisor_id)
    finally:
        probes.open_gate(run.directory)
        ray.kill(supervisor)
    return run


def run_tree(sub) -> tuple[Lifecycle, States]:
    """The lifecycle and the states of one supervisor when its state() answers every time; else
    the lifecycle of a second one whose state() is never called (see the module's docstring)."""
    run = Lifecycle(directory=sub.scratch("tree"))
    states = States(models=run.models)
    supervisor, run.create_error = _create(sub, run.directory, run.models)
    if supervisor is None:
        states.create_error = run.create_error
        return run, states
    supervisor_id = observe.actor_id(supervisor)
    try:
        # state() waits for the workers; on a loaded machine their processes take seconds to start,
        # which must not count against state()'s own deadline.
        _workers_started(supervisor_id, len(run.models))
        run.workers = stable_children(supervisor_id)
        _observe_states(sub, states, supervisor, run)
        if _state_failed(states):
            return run_lifecycle(sub), states
        _finish_lifecycle(sub, run, supervisor, supervisor_id)
    finally:
        probes.open_gate(run.directory)
        ray.kill(supervisor)
    return run, states


def _state_failed(states: States) -> bool:
    return bool(states.before_error or states.during_error or states.after_error or not states.all_done)


def _time_work(sub, run: Lifecycle, supervisor) -> None:
    """Call work() behind the closed gate: does it return while training cannot have ended? Then
    wait for every model's training to start."""
    run.work_called_at = time.time()
    work = supervisor.work.remote()
    try:
        ray.get(work, timeout=WORK_RETURN_SECONDS)
        run.work_returned = True
    except ray.exceptions.GetTimeoutError:
        pass
    except Exception as error:
        run.work_error = explain(error, "Supervisor.work()")
    wait_until(lambda: len(_started(sub, run.directory, run.models, run.work_called_at)) == len(run.models),
               timeout=TRAINING_START_SECONDS)
    run.started = _started(sub, run.directory, run.models, run.work_called_at)


def _finish_lifecycle(sub, run: Lifecycle, supervisor, supervisor_id: str) -> None:
    """Once the gate is open: the training records, the processes, then terminate()."""

    def finished():
        calls = [probes.trainer_calls(sub.evidence, run.directory, n) for n in run.models]
        return all(c and all(call["end"] for call in c) for c in calls)

    wait_until(finished, timeout=TRAINING_END_SECONDS)
    run.calls = {name: probes.trainer_calls(sub.evidence, run.directory, name) for name in run.models}
    table = observe.actors()
    run.supervisor_pid = table[supervisor_id].pid if supervisor_id in table else 0
    run.worker_pids = {a.pid for a in observe.children(supervisor_id)}
    try:
        ray.get(supervisor.terminate.remote(), timeout=15)
    except Exception as error:
        run.terminate_error = explain(error, "Supervisor.terminate()")
    run.alive_after_terminate = observe.alive_after([a.id for a in run.workers], timeout=10)


def _ask(supervisor, timeout: float):
    """(state() answer, "") or (None, why there is none)."""
    try:
        return ray.get(supervisor.state.remote(), timeout=timeout), ""
    except ray.exceptions.GetTimeoutError:
        return None, f"state() did not return within {timeout:g} s"
    except Exception as error:
        return None, explain(error, "Supervisor.state()")


def _observe_states(sub, run: States, supervisor, lifecycle: Lifecycle) -> None:
    """state() before work(), work() timed (lifecycle), state() during training, then until and
    after all DONE. Stops asking once state() has failed."""
    directory = lifecycle.directory
    for _ in range(STATE_SAMPLES):
        states, run.before_error = _ask(supervisor, STATE_SECONDS)
        if states is None:
            return  # a plain actor stuck in state() answers nothing after it
        run.states_before.append(states)
    _time_work(sub, lifecycle, supervisor)
    run.started = lifecycle.started
    if len(run.started) == len(run.models):
        # A fixed number of samples, all judged: a worker that guesses its state cannot pass by luck.
        for _ in range(STATE_SAMPLES):
            states, run.during_error = _ask(supervisor, 4.0)
            if states is None:
                break
            run.states_during.append(states)
            time.sleep(0.1)
    if run.states_during and not run.during_error:
        _observe_order(sub, run, supervisor, directory)
    probes.open_gate(directory)
    deadline = time.monotonic() + DONE_SECONDS
    while time.monotonic() < deadline and not run.all_done:
        states, run.after_error = _ask(supervisor, max(1.0, deadline - time.monotonic()))
        if states is None:
            return
        run.states_polled.append(states)
        time.sleep(0.05)
    if run.all_done:
        for _ in range(STATE_SAMPLES):
            states, run.after_error = _ask(supervisor, STATE_SECONDS)
            if states is None:
                return
            run.states_after.append(states)


def _observe_order(sub, run: States, supervisor, directory: str) -> None:
    """Let only the first model finish: a state() in model order then reads DONE, RUNNING.
    (Observable only when state() answers during training, as it just did.)"""
    first = run.models[0]
    probes.open_gate(directory, first)
    wait_until(lambda: any(c["end"] for c in probes.trainer_calls(sub.evidence, directory, first)),
               timeout=TRAINING_END_SECONDS)
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline:
        states, error = _ask(supervisor, 4.0)
        if states is None:
            return
        run.states_staggered = states
        if isinstance(states, (list, tuple)) and "DONE" in states:
            return
        time.sleep(0.05)


def _workers_started(supervisor_id: str, count: int) -> None:
    """Wait (up to READY_SECONDS) until the supervisor has `count` actors up and running."""
    wait_until(lambda: sum(a.state == "ALIVE" for a in observe.children(supervisor_id)) >= count,
               timeout=READY_SECONDS, interval=0.1)


def stable_children(supervisor_id: str, timeout: float = 10.0) -> list:
    """The supervisor's live actors once their number has stopped changing (creation is asynchronous)."""
    deadline = time.monotonic() + timeout
    previous, stable_since = None, time.monotonic()
    while time.monotonic() < deadline:
        current = sorted(a.id for a in observe.children(supervisor_id) if a.alive)
        if current != previous:
            previous, stable_since = current, time.monotonic()
        elif current and time.monotonic() - stable_since >= 0.5:
            break
        time.sleep(0.05)
    return [a for a in observe.children(supervisor_id) if a.alive]
