"""Part 1 rubric: the tree of actors (a Supervisor that manages one Worker per model)."""

from __future__ import annotations

import time

import pytest
import ray

from grader.checks import CheckFailed, check, observe, probes
from grader.checks.calls import call_with_deadline
from grader.checks.explain import shorten
from grader.checks.supervisor_runs import (DONE_SECONDS, MODEL_NAMES, TRAINING_START_SECONDS, WORK_RETURN_SECONDS,
                                     run_tree, stable_children, start_supervisor)

TREE = ("Supervisor", "Worker")
POLL_INTERVAL = 0.1
PAUSE_LIMIT = 2 * POLL_INTERVAL + 0.1
"""The longest median pause between two polls of run_supervisor's (Ray records them to the
millisecond: a sleep of poll_interval reads 0.10 s here, one of 0.5 s 0.50 s)."""


@pytest.fixture(scope="module")
def default_tree(sub):
    """Supervisor.remote() with no arguments: ready or not, and the actors it created."""
    sub.require(TREE)
    supervisor, error = start_supervisor(sub, label="Supervisor.remote()")
    if supervisor is None:
        return {"error": error, "workers": []}
    workers = stable_children(observe.actor_id(supervisor))
    ray.kill(supervisor)
    return {"error": "", "workers": workers}


@pytest.fixture(scope="module")
def tree(sub):
    """One Supervisor(models) observed through its whole life (a second one when its state() failed:
    see grader.checks.supervisor_runs)."""
    sub.require(TREE)
    return run_tree(sub)


@pytest.fixture(scope="module")
def lifecycle(tree):
    """The supervisor that was created, worked, trained behind the gate and was terminated."""
    return tree[0]


@pytest.fixture(scope="module")
def states(tree):
    """What its state() answered before, during and after training."""
    return tree[1]


def _require_created(run):
    if run.create_error:
        raise CheckFailed(f"Supervisor(models) could not be used: {run.create_error}.")


@check("supervisor.actor_classes", "Worker and Supervisor are Ray actors and Supervisor.remote() starts",
       points=1, timeout=60, needs=TREE)
def check_actor_classes(sub, default_tree):
    if default_tree["error"]:
        raise CheckFailed(f"{default_tree['error']}.")


@check("supervisor.one_worker_per_model", "The supervisor creates exactly one Worker per model",
       points=1, timeout=300, needs=TREE)
def check_one_worker_per_model(sub, default_tree, lifecycle):
    _require_created(lifecycle)
    count = sub.list_length("DEFAULT_MODELS")
    expected_default = 3 if count is None else count
    if default_tree["error"]:
        raise CheckFailed(f"{default_tree['error']}, so its workers could not be counted.")
    cases = [("Supervisor.remote() (models=None, so DEFAULT_MODELS)", default_tree["workers"], expected_default),
             (f"Supervisor.remote(models) with {len(MODEL_NAMES)} models", lifecycle.workers, len(MODEL_NAMES))]
    names = sub.class_names("Worker")
    for label, actors, expected in cases:
        workers = [a for a in actors if a.class_name in names]
        if len(workers) != expected:
            raise CheckFailed(f"{label} created {len(workers)} live Worker actor(s); expected {expected}, one per "
                              "(model_type, train_fn) entry. Create them in __init__ from the `models` argument.")


@check("supervisor.work_nonblocking", "Supervisor.work() starts training and returns at once",
       points=2, timeout=300, needs=TREE)
def check_work_nonblocking(sub, lifecycle):
    run = lifecycle
    _require_created(run)
    if run.work_error:
        raise CheckFailed(f"{run.work_error}.")
    if not run.work_returned:
        raise CheckFailed(
            f"work() had not returned after {WORK_RETURN_SECONDS:g} s while the workers were still training: it "
            "waits for them. "
            "Start each worker with worker.work.remote() and return without ray.get: the driver polls state() "
            "to follow the training.")
    if not run.started:
        raise CheckFailed(f"work() returned, but no worker started training within {TRAINING_START_SECONDS:g} s: "
                          "work() must call "
                          "work.remote() on every Worker.")


@check("supervisor.trains_each_model", "Each worker trains its own model exactly once per work()",
       points=2, timeout=300, needs=TREE)
def check_trains_each_model(sub, lifecycle):
    run = lifecycle
    _require_created(run)
    used = {}
    for name in run.models:
        calls = run.calls.get(name, [])
        early = [c for c in calls if c["start"] < run.work_called_at]
        if early:
            raise CheckFailed(f"train_fn of model {name!r} was called before work() (in __init__?); "
                              "training must start in work().")
        if not calls:
            raise CheckFailed(f"train_fn of model {name!r} was never called after work(). Each Worker must train "
                              "with the train_fn it was given: model_factory(model_type, train_fn).train().")
        if len(calls) != 1:
            raise CheckFailed(f"train_fn of model {name!r} was called {len(calls)} times for one work(); "
                              "expected exactly once.")
        pid = calls[0]["pid"]
        if pid == run.supervisor_pid:
            raise CheckFailed(f"model {name!r} was trained inside the Supervisor's process; the Worker actors "
                              "must do the training.")
        if run.worker_pids and pid not in run.worker_pids:
            raise CheckFailed(f"model {name!r} was trained in a process that is not one of the supervisor's "
                              "Worker actors.")
        if pid in used:
            raise CheckFailed(f"models {used[pid]!r} and {name!r} were trained by the same worker; each model "
                              "has its own Worker.")
        used[pid] = name


@check("supervisor.state_values", "Supervisor.state() lists each worker's state: PENDING before work, DONE after",
       points=2, timeout=300, needs=TREE)
def check_state_values(sub, states):
    run = states
    _require_created(run)
    count = len(run.models)
    if run.before_error:
        raise CheckFailed(f"before work(), {run.before_error}.")
    for answer in run.states_before:
        _plain_states(answer, count, "before work()")
        if list(answer) != ["PENDING"] * count:
            raise CheckFailed(f"before work(), state() returned {shorten(answer)}; expected "
                              f"{['PENDING'] * count!r}. Report the real state, not a guess.")
    for answer in run.states_during + run.states_polled:
        _plain_states(answer, count, "while polling")
    staggered = run.states_staggered
    if staggered is not None and "DONE" in staggered and list(staggered) != ["DONE"] + ["RUNNING"] * (count - 1):
        raise CheckFailed(f"when only the first model ({run.models[0]!r}) had finished training, state() returned "
                          f"{shorten(staggered)}; expected {['DONE'] + ['RUNNING'] * (count - 1)!r}: one state per "
                          "worker, in the order of the models.")
    if run.after_error:
        raise CheckFailed(f"after work(), {run.after_error}.")
    if not run.all_done:
        last = shorten(run.states_polled[-1]) if run.states_polled else "nothing"
        raise CheckFailed(f"after training finished, state() never reported all DONE within "
                          f"{DONE_SECONDS:g} s (last: {last}).")
    for answer in run.states_after:
        if list(answer) != ["DONE"] * count:
            raise CheckFailed(f"after training finished, state() returned {shorten(answer)} following an all-DONE "
                              "answer; a finished worker stays DONE.")


def _plain_states(states, count: int, when: str) -> None:
    if not isinstance(states, (list, tuple)):
        raise CheckFailed(f"{when}, state() returned a {type(states).__name__}; expected a list of str.")
    if len(states) != count:
        raise CheckFailed(f"{when}, state() returned {len(states)} entries for {count} workers: {shorten(states)}.")
    odd = [s for s in states if type(s) is not str or s not in ("PENDING", "RUNNING", "DONE")]
    if odd:
        hint = " (an Enum member: return its .value)" if hasattr(odd[0], "value") else ""
        raise CheckFailed(f"{when}, state() returned {shorten(states)}; every entry must be a plain str from "
                          f"STATES (PENDING, RUNNING, DONE){hint}.")


@check("supervisor.terminate_kills_workers", "Supervisor.terminate() kills every worker",
       points=1, timeout=300, needs=TREE)
def check_terminate_kills_workers(sub, lifecycle):
    tree = lifecycle
    _require_created(tree)
    if not tree.workers:
        raise CheckFailed("the supervisor had no live Worker actors to terminate.")
    if tree.alive_after_terminate and tree.terminate_error:
        raise CheckFailed(f"{tree.terminate_error}.")
    if tree.alive_after_terminate:
        raise CheckFailed(f"{len(tree.alive_after_terminate)} of {len(tree.workers)} workers were still alive 10 s "
                          "after terminate() returned. Call ray.kill(worker) on each one.")


@check("supervisor.run_supervisor", "run_supervisor() polls until all DONE, then cleans up",
       points=2, timeout=90, needs=TREE + ("run_supervisor",))
def check_run_supervisor(sub):
    directory = sub.scratch("run-supervisor")
    probes.open_gate(directory)
    models = [("epsilon", probes.RecordingTrainer("epsilon", directory, minimum_seconds=0.5))]
    before = set(observe.actors())
    call = f"run_supervisor(models=[one model], poll_interval={POLL_INTERVAL:g})"
    outcome = call_with_deadline(sub.run_supervisor, timeout=45, what=call, models=models,
                                 poll_interval=POLL_INTERVAL)
    table = observe.actors()
    created = [a.id for a in table.values() if a.id not in before]
    supervisors = [i for i in created if table[i].class_name in sub.class_names("Supervisor")]
    if outcome.timed_out:
        raise CheckFailed(f"{call} did not return within 45 s (training takes 0.5 s). It must poll state() until "
                          "every worker is DONE, then stop.")
    if outcome.error:
        raise CheckFailed(f"{outcome.error}.")
    history = outcome.value
    if not isinstance(history, list) or not history:
        raise CheckFailed(f"{call} returned {shorten(history)}; expected the list of every polled state list.")
    for states in history:
        if not isinstance(states, (list, tuple)) or len(states) != 1:
            raise CheckFailed(f"{call} returned a history with the entry {shorten(states)}; each entry is the "
                              "state list of one poll, one state per model (did it use the `models` argument?).")
    if list(history[-1]) != ["DONE"]:
        raise CheckFailed(f"the last polled states were {shorten(history[-1])}; run_supervisor must poll until "
                          "every worker is DONE.")
    trained = [c for c in probes.trainer_calls(sub.evidence, directory, "epsilon") if c["end"] is not None]
    if not trained:
        raise CheckFailed(f"{call} returned a history ending in DONE, but the model's train_fn never ran to its "
                          "end: the supervisor it creates must have a Worker train each model it is given.")
    alive = observe.alive_after(created, timeout=10)
    if alive:
        names = ", ".join(sorted({a.class_name for a in alive}))
        raise CheckFailed(f"after run_supervisor returned, {len(alive)} actor(s) it created were still alive "
                          f"({names}). Terminate the workers and ray.kill the supervisor before returning.")
    _require_spaced_polls(call, outcome, supervisors)


def _require_spaced_polls(call: str, outcome, supervisors: list[str]) -> None:
    """Polls spaced by about poll_interval, counted from Ray's own record of the state() calls the
    supervisor received, against how long the call took by the judge's clock (a count, not a
    timing: a busy loop makes hundreds where a spaced one makes a handful)."""
    allowed = 2 * outcome.seconds / POLL_INTERVAL + 3
    time.sleep(max(0.0, outcome.finished_at + observe.task_events_settled_seconds() - time.time()))
    polls = [observe.calls_received(i, "state") for i in supervisors]
    count = sum(p for p in polls if p is not None)
    if count > allowed:
        raise CheckFailed(
            f"{call} called state() {count} times in {outcome.seconds:.1f} s, about one call every "
            f"{1000 * outcome.seconds / count:.0f} ms, not one every poll_interval ({POLL_INTERVAL:g} s): at most "
            f"{allowed:.0f} were expected. A busy poll floods the supervisor with calls that queue behind each other "
            "and takes the CPU its workers need to train; sleep poll_interval between two polls.")
    # Ray's own times of those calls: from one call's end to the next one's start the driver is idle,
    # and that pause is its sleep (the length of a call, which a busy worker may stretch, is not).
    spans = sorted(span for i in supervisors for span in observe.call_spans(i, "state") or ())
    pauses = sorted(following[0] - finished for (_, finished), following in zip(spans, spans[1:], strict=False))
    if pauses and pauses[len(pauses) // 2] > PAUSE_LIMIT:
        raise CheckFailed(
            f"{call} paused {pauses[len(pauses) // 2]:.2f} s between the end of one state() call and the start of "
            f"the next (the median of {len(pauses)} pauses, from Ray's own record of the calls), not poll_interval "
            f"({POLL_INTERVAL:g} s). Sleep poll_interval between two polls, not a time of your own.")


@check("supervisor.running_visible", "Stretch: state() reports RUNNING while a worker trains",
       points=1, timeout=300, needs=TREE)
def check_running_visible(sub, states):
    run = states
    _require_created(run)
    if run.before_error:
        raise CheckFailed(f"before work(), {run.before_error}, so RUNNING could not be observed.")
    if len(run.started) < len(run.models):
        raise CheckFailed(f"{len(run.started)} of {len(run.models)} workers started training within "
                          f"{TRAINING_START_SECONDS:g} s of "
                          "work(), so RUNNING could not be observed.")
    if run.during_error:
        raise CheckFailed(
            f"while the workers were training, {run.during_error}. A plain actor runs one call at a time, so "
            "state() waits until work() has finished. Let the Worker serve state() during training: "
            "@ray.remote(max_concurrency=2), or train in a background thread.")
    expected = ["RUNNING"] * len(run.models)
    for answer in run.states_during:
        if not isinstance(answer, (list, tuple)) or list(answer) != expected:
            raise CheckFailed(f"while every worker was training, state() returned {shorten(answer)}; "
                              f"expected {expected!r}.")
