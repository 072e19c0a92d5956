"""Drive a student's Supervisor through its whole life once and record what was observed.

Training functions are the grader's RecordingTrainers behind a closed gate, so the order of
events is forced, not timed: work() either returns while training cannot have finished, or it
does not return; state() either answers while the workers train, or it does not.
Every step records its outcome instead of raising, so each check reports its own finding.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import ray

from grader.checks import observe, probes
from grader.checks.support import explain

MODEL_NAMES = ("alpha", "beta")
WORK_RETURN_SECONDS = 5.0
TRAINING_START_SECONDS = 15.0
RUNNING_WINDOW_SECONDS = 4.0
DONE_SECONDS = 25.0
STATE_SAMPLES = 3


@dataclass
class TreeRun:
    models: tuple[str, ...] = MODEL_NAMES
    directory: str = ""
    create_error: str = ""
    workers: list = field(default_factory=list)
    """ActorRecords of the actors the supervisor created, read once it answered state()."""
    states_before: list = field(default_factory=list)
    before_error: str = ""
    work_called_at: float = 0.0
    work_returned: bool = False
    work_error: str = ""
    started: tuple[str, ...] = ()
    """Models whose train_fn was called after work()."""
    states_during: list = field(default_factory=list)
    during_error: str = ""
    states_polled: list = field(default_factory=list)
    states_after: list = field(default_factory=list)
    after_error: str = ""
    calls: dict = field(default_factory=dict)
    worker_pids: dict = field(default_factory=dict)
    supervisor_pid: int = 0
    terminate_error: str = ""
    alive_after_terminate: list = field(default_factory=list)

    @property
    def all_done(self) -> bool:
        return bool(self.states_polled) and _all(self.states_polled[-1], "DONE", len(self.models))


def _all(states, value: str, count: int) -> bool:
    return isinstance(states, (list, tuple)) and len(states) == count and all(s == value for s in states)


def run_tree(sub) -> TreeRun:
    run = TreeRun(directory=sub.scratch("tree"))
    models = [(name, probes.RecordingTrainer(name, run.directory)) for name in run.models]
    try:
        supervisor = sub.Supervisor.remote(models)
        ray.get(supervisor.__ray_ready__.remote(), timeout=30)
    except ray.exceptions.GetTimeoutError:
        run.create_error = "Supervisor.remote(models) was not ready within 30 s (its __init__ did not return)"
        return run
    except Exception as error:
        run.create_error = explain(error, "Supervisor.remote(models)")
        return run
    supervisor_id = observe.actor_id(supervisor)
    try:
        _observe(run, supervisor, supervisor_id)
    finally:
        probes.open_gate(run.directory)
        ray.kill(supervisor)
    return run


def _state(supervisor, timeout: float):
    return ray.get(supervisor.state.remote(), timeout=timeout)


def _observe(run: TreeRun, supervisor, supervisor_id: str) -> None:
    for _ in range(STATE_SAMPLES):
        try:
            run.states_before.append(_state(supervisor, 20))
        except Exception as error:
            run.before_error = explain(error, "Supervisor.state()")
            break
    run.workers = _stable_children(supervisor_id)

    run.work_called_at = time.time()
    work = supervisor.work.remote()
    try:
        ray.get(work, timeout=WORK_RETURN_SECONDS)
        run.work_returned = True
    except ray.exceptions.GetTimeoutError:
        run.work_returned = False
    except Exception as error:
        run.work_error = explain(error, "Supervisor.work()")

    deadline = time.monotonic() + TRAINING_START_SECONDS
    while time.monotonic() < deadline and len(_started(run)) < len(run.models):
        time.sleep(0.05)
    run.started = _started(run)

    if run.started:
        _sample_while_training(run, supervisor)
    probes.open_gate(run.directory)
    if not run.work_returned and not run.work_error:
        try:
            ray.get(work, timeout=30)
        except Exception:
            pass  # already judged; only waiting so that the next steps see a finished work()

    deadline = time.monotonic() + DONE_SECONDS
    while time.monotonic() < deadline:
        try:
            run.states_polled.append(_state(supervisor, max(1.0, deadline - time.monotonic())))
        except Exception as error:
            run.after_error = explain(error, "Supervisor.state()")
            break
        if run.all_done:
            break
        time.sleep(0.1)
    if run.all_done:
        for _ in range(STATE_SAMPLES):
            try:
                run.states_after.append(_state(supervisor, 10))
            except Exception as error:
                run.after_error = explain(error, "Supervisor.state()")
                break

    run.calls = {name: probes.trainer_calls(run.directory, name) for name in run.models}
    table = observe.actors()
    run.supervisor_pid = table[supervisor_id].pid if supervisor_id in table else 0
    run.worker_pids = {a.id: a.pid for a in observe.children(supervisor_id)}

    worker_ids = [a.id for a in run.workers]
    try:
        ray.get(supervisor.terminate.remote(), timeout=15)
    except Exception as error:
        run.terminate_error = explain(error, "Supervisor.terminate()")
    run.alive_after_terminate = observe.alive_after(worker_ids, timeout=10)


def _started(run: TreeRun) -> tuple[str, ...]:
    return tuple(n for n in run.models if any(c["start"] >= run.work_called_at
                                               for c in probes.trainer_calls(run.directory, n)))


def _sample_while_training(run: TreeRun, supervisor) -> None:
    """Take STATE_SAMPLES answers of state() while every started worker is held in training by
    the closed gate. A fixed number of samples, all judged: a worker that guesses its state
    (the seed's random.choice) cannot pass by luck."""
    deadline = time.monotonic() + RUNNING_WINDOW_SECONDS
    for _ in range(STATE_SAMPLES):
        try:
            run.states_during.append(_state(supervisor, max(0.2, deadline - time.monotonic())))
        except ray.exceptions.GetTimeoutError:
            run.during_error = (f"state() did not answer within {RUNNING_WINDOW_SECONDS:g} s while the workers "
                                "were training")
            return
        except Exception as error:
            run.during_error = explain(error, "Supervisor.state()")
            return
        time.sleep(0.1)


def _stable_children(supervisor_id: str, timeout: float = 10.0) -> list:
    """The supervisor's actors once their number has stopped changing (creation is asynchronous)."""
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
