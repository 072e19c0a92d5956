"""Part 3 rubric: the LoggingActor exercise (tasks that hold an actor's handle)."""

from __future__ import annotations

import re
import time
from collections import Counter

import pytest
import ray

from grader.checks import CheckFailed, check, observe, probes
from grader.checks.logging_runs import CALL_SECONDS, RELAY_DELAY, forged_logs, run_experiments_twice
from grader.checks.calls import get, start, wait_until
from grader.checks.explain import shorten

EXERCISE = ("LoggingActor", "run_experiment", "run_experiments")
PROBE = "the grader's own logging actor (it was killed, or its process ended)"
MESSAGE_DELAY = 0.1
"""The delay one run_experiment task is given: its sleeps show (0.3 s between its first and last
message, where a task that does not sleep takes milliseconds) and cost 0.4 s of a submission's time."""
ORDER_RULE = ("Ray runs the calls from one caller in the order they were sent only on a plain actor: an async "
              "actor (any `async def` method) or a threaded one (max_concurrency > 1) runs them concurrently, "
              "in no guaranteed order.")


@pytest.fixture(scope="module")
def probe(sub):
    actor = sub.instrument(probes.Probe, sub.actor_methods)
    ray.get(actor.__ray_ready__.remote(), timeout=60)
    return actor


@pytest.fixture(scope="module")
def experiment_runs(sub, probe):
    sub.require(EXERCISE)
    return run_experiments_twice(sub, probe)


def _logs_when_settled(actor, expected_total: int, timeout: float = 15.0):
    """get_logs() once `expected_total` messages have arrived (or the deadline passed), read twice
    0.3 s apart so that late duplicates show up too."""

    def total():
        logs = get(actor.get_logs.remote(), timeout=20, what="LoggingActor.get_logs()")
        return sum(len(v) for v in logs.values()) >= expected_total if isinstance(logs, dict) else True

    wait_until(total, timeout=timeout, interval=0.1)
    time.sleep(0.3)
    return get(actor.get_logs.remote(), timeout=20, what="LoggingActor.get_logs()")


def _refuse_forged(sub, runs) -> None:
    call = runs.provoked
    if call.uncounted:
        raise CheckFailed(f"during {call.text}, {call.uncounted}: what its tasks logged could not be counted.")
    why = forged_logs(call)
    if why:
        sub.evidence.forged(why)
        raise CheckFailed(f"{why}: those logs were not logged.")


def _new_logging_actor(sub):
    actor = start("LoggingActor.remote()", sub.LoggingActor.remote)
    get(actor.__ray_ready__.remote(), timeout=30, what="LoggingActor.__init__")
    return actor


def _alive(actor) -> bool:
    record = observe.actors().get(observe.actor_id(actor))
    return record is not None and record.alive


@pytest.fixture(scope="module")
def fresh_logger(sub):
    """One LoggingActor.remote() with no messages yet, for the checks of its own methods and of
    their order (one process for the three: whether it starts is the first check, what it keeps the
    second, in what order many tasks' messages arrive the third)."""
    sub.require(("LoggingActor",))
    actor = _new_logging_actor(sub)  # a failure here fails each check, with its own message
    yield actor
    try:  # a teardown that raised would fail whichever check ran last
        ray.kill(actor)
    except Exception:
        pass


@check("logging.actor_class", "LoggingActor is a Ray actor and starts", points=1, timeout=120,
       needs=("LoggingActor",))
def check_actor_class(sub, fresh_logger):
    """Passes once the fixture has started it."""


@check("logging.log_and_get", "log() keeps messages per index in order; get_logs() returns them as a plain dict",
       points=1, timeout=120, needs=("LoggingActor",))
def check_log_and_get(sub, fresh_logger):
    actor = fresh_logger
    sent = [(0, "a"), (1, "x"), (0, "b"), (2, "p"), (1, "y"), (0, "c")]
    for index, message in sent:  # one at a time: order under concurrency is a separate check
        get(actor.log.remote(index, message), timeout=20, what="LoggingActor.log()")
    expected = {0: ["a", "b", "c"], 1: ["x", "y"], 2: ["p"]}
    logs = get(actor.get_logs.remote(), timeout=20, what="LoggingActor.get_logs()")
    if isinstance(logs, ray.ObjectRef):
        raise CheckFailed("get_logs() returned an ObjectRef; return the logs themselves.")
    if type(logs) is not dict:
        raise CheckFailed(f"get_logs() returned a {type(logs).__name__}; return a plain dict "
                          "(for example dict(self.logs)), so that callers get plain data.")
    if logs != expected:
        raise CheckFailed(f"after log() calls {sent}, get_logs() returned {shorten(logs)}; expected {expected}.")
    again = get(actor.get_logs.remote(), timeout=20, what="LoggingActor.get_logs()")
    if again != expected:
        raise CheckFailed(f"a second get_logs() returned {shorten(again)}; get_logs() must keep the logs, not "
                          "clear them.")


@check("logging.run_experiment_messages", "One run_experiment task logs its n_iterations messages under its index",
       points=1, timeout=120, needs=("run_experiment",))
def check_run_experiment_messages(sub, probe):
    iterations, delay = 4, MESSAGE_DELAY
    call = f"run_experiment.remote(7, logging_actor, n_iterations={iterations}, delay={delay:g})"
    launch = start("run_experiment.options(num_cpus=0)", probes.without_cpu, sub.run_experiment).remote
    task = start(call, launch, 7, probe, n_iterations=iterations, delay=delay)
    get(task, timeout=30, what="the run_experiment task")
    expected = [(7, f"On iteration {i}") for i in range(iterations)]
    wait_until(lambda: len(get(probe.get_records.remote(), timeout=10, what=PROBE)) >= iterations, timeout=10)
    time.sleep(0.3)
    records = get(probe.get_records.remote(), timeout=10, what=PROBE)
    if Counter(records) != Counter(expected):
        raise CheckFailed(f"{call} sent log(index, message) calls {shorten(records)}; expected exactly "
                          f"{expected} (any order here; order is checked separately).")
    # A third of the sleeps is enough: the messages of a task that sleeps between them cannot all
    # arrive closer together than that on any machine, and those of one that does not, always do.
    arrivals = get(probe.get_arrivals.remote(), timeout=10, what=PROBE)
    spread = max(arrivals) - min(arrivals)
    if spread < (iterations - 1) * delay / 3:
        raise CheckFailed(f"the {iterations} messages of {call} arrived within {spread:.2f} s: it does not sleep "
                          f"`delay` ({delay:g} s) between two messages. Call time.sleep(delay) in each "
                          "iteration, as the tutorial's run_experiment does.")


@check("logging.run_experiments_complete", "run_experiments() returns every message, on every try",
       points=2, timeout=300, needs=EXERCISE)
def check_run_experiments_complete(sub, experiment_runs):
    _refuse_forged(sub, experiment_runs)
    call = experiment_runs.provoked
    outcome, kwargs = call.outcome, call.kwargs
    if outcome.timed_out:
        raise CheckFailed(f"{call.text} did not return within {CALL_SECONDS:g} s.")
    if outcome.error:
        raise CheckFailed(f"{outcome.error}.")
    logs = outcome.value
    if isinstance(logs, ray.ObjectRef):
        raise CheckFailed(f"{call.text} returned an ObjectRef; use ray.get(...) to return the logs themselves.")
    if not isinstance(logs, dict):
        raise CheckFailed(f"{call.text} returned a {type(logs).__name__}; expected the dict of logs.")
    n, k = kwargs["n_experiments"], kwargs["n_iterations"]
    counts = {index: len(messages) if isinstance(messages, list) else 0 for index, messages in logs.items()}
    # Complete means nothing is missing; extra messages are judged by the checks on run_experiment.
    complete = sum(1 for c in counts.values() if c >= k) >= n
    if not complete:
        observed = f"{call.text} returned {sum(counts.values())} of {n * k} messages (per experiment: {counts})."
        if call.sleeps:
            raise CheckFailed(
                f"{observed} It read the logs after a fixed sleep (time.sleep, {call.sleeps} call(s)), not after "
                "the experiments' log calls had finished: a sleep only guesses how long Ray will take, and the "
                "guess fails on a slower or busier machine. The grader serves your driver's sleeps at once, so "
                "the guess fails here on every run. Wait instead: make each run_experiment ray.get its own log "
                "calls, or ray.get/ray.wait on what you launched, or poll get_logs() until every message is "
                "there.")
        raise CheckFailed(
            f"{observed} The driver's get_logs() is a different caller from the tasks, so Ray "
            "does not order it after their log() calls: ray.get on the tasks does not mean their messages have "
            "arrived. Make each run_experiment wait for its own log calls (keep the refs and ray.get them), "
            "or wait in run_experiments until every message is there; sleeping is not waiting. Here, log calls "
            f"that a task did not wait for were delivered {RELAY_DELAY:g} s late, as Ray is free to do.")
    loggers = [a for a in call.created if a.class_name in sub.class_names("LoggingActor")]
    if len(loggers) > 1:
        raise CheckFailed(
            f"{call.text} created {len(loggers)} LoggingActors for {call.kwargs['n_experiments']} experiments. "
            "The exercise is one actor whose state many tasks update through its handle: create one "
            "LoggingActor, pass the same handle to every run_experiment, and read every experiment's "
            "messages from it with one get_logs().")
    _require_arguments_passed_on(call)


def _require_arguments_passed_on(call) -> None:
    """Its tasks got what it was given: complete logs of other experiments than those asked for are
    not the logs asked for (a run_experiment that ignores what it gets is that check's business)."""
    n, k, delay = (call.kwargs[name] for name in ("n_experiments", "n_iterations", "delay"))
    if len(call.launched) != n:
        raise CheckFailed(f"{call.text} launched {len(call.launched)} run_experiment task(s) for n_experiments={n}: "
                          "launch exactly one per experiment.")
    for index, iterations, given_delay in call.launched:
        if iterations != k or given_delay != delay:
            raise CheckFailed(
                f"{call.text} launched experiment {shorten(index)} with n_iterations={shorten(iterations)} and "
                f"delay={shorten(given_delay)}; pass on the n_iterations ({k}) and delay ({delay:g}) that "
                "run_experiments was given.")


@check("logging.ordering_per_worker", "Messages from each experiment arrive in order, no duplicates or strays",
       points=1, timeout=200, needs=("LoggingActor", "run_experiment"))
def check_ordering_per_worker(sub, fresh_logger):
    async_methods, concurrency = sub.concurrency_of("LoggingActor")
    if async_methods:
        raise CheckFailed(f"LoggingActor has async methods ({', '.join(async_methods)}). {ORDER_RULE}")
    if concurrency > 1:
        raise CheckFailed(f"LoggingActor is declared (or started, with .options(...)) with "
                          f"max_concurrency={concurrency}. {ORDER_RULE}")
    # Three at once, on the actor the method checks used (a process fewer): what it held before is
    # set aside and only what this check's tasks added is judged. The task workers of
    # run_experiments are reused, none is started for this check.
    experiments, iterations = 3, 15
    # An actor dies with the process that created it: where the submission ended that process in
    # an earlier check (os._exit in run_experiments), a new one, so that this check does not pay.
    actor = fresh_logger if _alive(fresh_logger) else _new_logging_actor(sub)
    held = get(actor.get_logs.remote(), timeout=20, what="LoggingActor.get_logs()")
    held = {index: list(messages) for index, messages in held.items()} if isinstance(held, dict) else {}
    launch = start("run_experiment.options(num_cpus=0)", probes.without_cpu, sub.run_experiment).remote
    tasks = [start("run_experiment.remote(...)", launch, i, actor, n_iterations=iterations, delay=0.0)
             for i in range(experiments)]
    get(tasks, timeout=60, what="the run_experiment tasks")
    logs = _logs_when_settled(actor, sum(map(len, held.values())) + experiments * iterations)
    if actor is not fresh_logger:
        ray.kill(actor)
    if not isinstance(logs, dict):
        raise CheckFailed(f"get_logs() returned a {type(logs).__name__}; expected a dict.")
    strays = sorted((index for index in set(logs) - set(range(experiments)) if logs[index] != held.get(index)),
                    key=repr)
    if strays:
        raise CheckFailed(f"with experiments 0..{experiments - 1} logging, get_logs() also had the keys {strays}.")
    for index in range(experiments):
        messages, earlier = list(logs.get(index, [])), held.get(index, [])
        added = messages[len(earlier):] if messages[:len(earlier)] == earlier else messages
        numbers = [_iteration(m) for m in added]
        problem = _order_problem(numbers)
        if problem:
            raise CheckFailed(f"{experiments} experiments of {iterations} messages each ran at once; the messages "
                              f"of experiment {index} arrived as iterations {_short_list(numbers)}: {problem}.")


def _iteration(message):
    match = re.search(r"(\d+)\D*$", str(message))
    return int(match.group(1)) if match else message


def _short_list(values, limit: int = 20) -> str:
    text = ", ".join(map(str, values[:limit]))
    return text + (", ..." if len(values) > limit else "")


def _order_problem(numbers: list) -> str:
    """Order, duplicates and unreadable messages; how many arrived is the business of the
    completeness and run_experiment checks."""
    counts = Counter(numbers)
    duplicates = sorted(n for n, c in counts.items() if c > 1 and isinstance(n, int))
    if duplicates:
        return f"iterations {duplicates[:5]} arrived more than once (from other experiments, or sent twice)"
    unreadable = [n for n in numbers if not isinstance(n, int)]
    if unreadable:
        return f"messages without an iteration number {unreadable[:3]}"
    for a, b in zip(numbers, numbers[1:], strict=False):  # pairs of neighbours: one shorter by design
        if b < a:
            return f"{b} came after {a}. {ORDER_RULE}"
    return ""


@check("logging.parallel", "run_experiments() runs the experiments in parallel", points=1, timeout=240,
       needs=EXERCISE)
def check_parallel(sub, experiment_runs):
    call = experiment_runs.barrier
    overlapping, started = experiment_runs.overlap
    if overlapping >= 3:
        return  # the experiments overlapped: that is all this check is about
    if call.outcome.timed_out and not started:
        raise CheckFailed(f"{call.text} did not return within {CALL_SECONDS:g} s.")
    if call.outcome.error and not started:
        raise CheckFailed(f"{call.outcome.error}.")
    if not started:
        raise CheckFailed(f"{call.text} never called the module's run_experiment.remote(...): launch the "
                          "experiments with the run_experiment task defined above.")
    if started < 3:
        raise CheckFailed(f"{call.text} started {started} run_experiment task(s); expected 3.")
    raise CheckFailed(
        f"{call.text} ran its experiments one after another: only {overlapping} had started when the first "
        "one finished. Launch every task first, then ray.get the list of refs once: a ray.get inside the "
        "launching loop waits for each experiment before starting the next.")


@check("logging.no_leaks", "run_experiments() leaves no actor alive", points=1, timeout=240, hidden=True,
       needs=EXERCISE)
def check_no_leaks(sub, experiment_runs):
    _refuse_forged(sub, runs=experiment_runs)  # worded apart: the kit holds no line of this hidden check
    calls = (experiment_runs.provoked, experiment_runs.barrier)
    for call in calls:
        if call.alive_after:
            kinds = ", ".join(sorted({a.class_name + (" (detached)" if a.detached else "") for a in call.alive_after}))
            raise CheckFailed(f"10 s after {call.text} returned, {len(call.alive_after)} actor(s) it created were "
                              f"still alive: {kinds}. Do not keep the LoggingActor in a global or make it detached; "
                              "ray.kill it once you have its logs.")
    if all(call.outcome.timed_out or call.outcome.error for call in calls):
        first = calls[0]
        timed_out = f"{first.text} did not return within {CALL_SECONDS:g} s"
        reason = timed_out if first.outcome.timed_out else first.outcome.error
        raise CheckFailed(f"{reason}, so the clean-up after it could not be checked.")
