"""The rubric of the pool assignment: ray.util.multiprocessing.Pool as a drop-in for Python's.

Each function the student wrote is called once, with slow_square replaced by the grader's
RecordingCall: every call reports where it ran (its process) and when (the judge's clock), and
the numbers take longer the earlier they come, so that they finish in the reverse of the order
given. From that one call of each function: its value, whether the work ran in the pool's
processes and several at once, and whether the pool was closed when the function returned. The
three functions have a run each, so that one that hangs costs only its own checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from grader.checks import CheckFailed, check, observe, probes
from grader.checks.calls import Outcome, call_with_deadline

NUMBERS = (7, 2, 9, 4, 1, 6)
SECONDS = dict(zip(NUMBERS, (1.2, 1.0, 0.8, 0.6, 0.4, 0.2), strict=True))
"""Each number's call takes longer the earlier it comes: an answer in the order the calls
finished is not the order given."""
CALL_SECONDS = 90.0
POOL_ACTOR = "PoolActor"
"""The class of a ray.util.multiprocessing.Pool's processes."""
PROMISE_RULE = ("Rule: apply_async returns an AsyncResult at once, a promise; its .get() waits for the value. "
                "Return the values.")
ORDER_RULE = ("Rule: Pool.map and Pool.imap return results in the order of their input, whichever call finished "
              "first; imap_unordered, and AsyncResults collected as they finish, do not.")


@dataclass
class Run:
    text: str
    outcome: Outcome
    calls: list[dict] = field(default_factory=list)
    """Each call of slow_square during the run (probes.recorded_calls)."""
    pool_pids: set[int] = field(default_factory=set)
    """The processes of every pool the submission started (PoolActor actors)."""
    alive_after: list = field(default_factory=list)
    """PoolActor actors still alive 10 s after the function returned."""


def _run(sub, function: str) -> Run:
    sub.require((function, "slow_square"))
    directory = sub.scratch(function)
    text = f"{function}({list(NUMBERS)})"
    instrument = probes.RecordingCall(directory, {x: x * x for x in NUMBERS}, SECONDS, name="slow_square")
    with sub.replaced("slow_square", instrument):
        outcome = call_with_deadline(lambda: getattr(sub, function)(list(NUMBERS)), timeout=CALL_SECONDS, what=text)
    pools = [a for a in observe.actors().values() if a.class_name == POOL_ACTOR]
    alive = observe.alive_after([a.id for a in pools], timeout=10) if not outcome.timed_out else []
    return Run(text, outcome, probes.recorded_calls(sub.evidence, directory), {a.pid for a in pools}, alive)


@pytest.fixture(scope="module")
def map_run(sub):
    return _run(sub, "squares")


@pytest.fixture(scope="module")
def async_run(sub):
    return _run(sub, "squares_async")


@pytest.fixture(scope="module")
def imap_run(sub):
    return _run(sub, "running_totals")


def _returned(run: Run):
    if run.outcome.timed_out:
        raise CheckFailed(f"{run.text} did not return within {CALL_SECONDS:g} s.")
    if run.outcome.error:
        raise CheckFailed(f"{run.outcome.error}.")
    return run.outcome.value


def _finishing_order(run: Run) -> list:
    ended = sorted((c for c in run.calls if c["end"] is not None), key=lambda c: c["end"])
    return [int(c["argument"]) for c in ended if c["argument"].lstrip("-").isdigit()]


def _squares(order) -> list:
    return [x * x for x in order]


def _totals(order) -> list:
    squares = _squares(order)
    return [sum(squares[:i + 1]) for i in range(len(squares))]


def _in_order(run: Run, make, what: str) -> None:
    """The value is make(NUMBERS); one that is make(the order the calls finished) is told so."""
    expected = make(NUMBERS)
    value = _returned(run)
    if type(value).__module__ == "grader.judge.foreign":  # what pickle could not bring out of its process
        raise CheckFailed(f"{run.text} returned a {type(value).__name__} that cannot leave the process that made it "
                          f"(its items are not plain values); expected {expected}. {PROMISE_RULE}")
    if not isinstance(value, (list, tuple)):
        raise CheckFailed(f"{run.text} returned {value!r:.200}; expected the list {expected}.")
    strangers = sorted({type(v).__name__ for v in value if type(v) is not int})
    if strangers:
        raise CheckFailed(f"{run.text} returned a list of {', '.join(strangers)}, not of numbers; expected {expected}. "
                          f"{PROMISE_RULE}")
    if list(value) == expected:
        return
    finished = _finishing_order(run)
    if (len(finished) == len(NUMBERS) and list(value) == make(finished)) or sorted(value) == sorted(expected):
        raise CheckFailed(f"{run.text} returned {list(value)}: {what} in the wrong order (the calls finished in the "
                          f"order {finished}); expected {expected}. {ORDER_RULE}")
    raise CheckFailed(f"{run.text} returned {list(value)}; expected {expected}.")


def _parallel(run: Run) -> None:
    if not run.calls:
        _returned(run)
        raise CheckFailed(f"{run.text} never called slow_square: the work must be slow_square's, computed in the pool.")
    outside = [c for c in run.calls if c["pid"] not in run.pool_pids]
    if len(outside) == len(run.calls):
        raise CheckFailed(f"every call of slow_square during {run.text} ran outside any pool's processes (in process "
                          f"{outside[0]['pid']}): nothing ran in the pool. Rule: hand the function to the pool "
                          "(pool.map(slow_square, numbers)); calling it yourself runs it where you are, one at a time.")
    most = probes.most_at_once(run.calls)
    if most < 2:
        raise CheckFailed(f"during {run.text}, slow_square's {len(run.calls)} calls ran one at a time (never two at "
                          "once); expected several at once in the pool's processes. Rule: send every call before "
                          "waiting for any result: a get() right after each apply_async, or a pool of one process, "
                          "computes one number at a time.")


@check("pool.map_in_order", "squares() returns every square, in the order given", points=2, timeout=150,
       needs=("squares", "slow_square"))
def check_map_in_order(sub, map_run):
    _in_order(map_run, _squares, "the squares")


@check("pool.map_parallel", "squares() computes in the pool's processes, several at once", points=2, timeout=150,
       needs=("squares", "slow_square"))
def check_map_parallel(sub, map_run):
    _parallel(map_run)


@check("pool.async_in_order", "squares_async() returns the values, not the AsyncResults, in the order given",
       points=2, timeout=150, needs=("squares_async", "slow_square"))
def check_async_in_order(sub, async_run):
    _in_order(async_run, _squares, "the squares")


@check("pool.async_parallel", "squares_async() sends every call before it waits for one", points=2, timeout=150,
       needs=("squares_async", "slow_square"))
def check_async_parallel(sub, async_run):
    _parallel(async_run)


@check("pool.imap_totals", "running_totals() adds the squares in the order given, computed in the pool", points=2,
       timeout=150, needs=("running_totals", "slow_square"))
def check_imap_totals(sub, imap_run):
    _in_order(imap_run, _totals, "the running totals")
    _parallel(imap_run)


@check("pool.closed", "every pool is closed by the time its function returns", points=1, timeout=400, hidden=True,
       needs=("squares", "squares_async", "running_totals", "slow_square"))
def check_closed(sub, map_run, async_run, imap_run):
    for run in (map_run, async_run, imap_run):
        if run.alive_after:
            raise CheckFailed(f"10 s after {run.text} returned, {len(run.alive_after)} process(es) of a pool were "
                              "still running. Close every pool you start: `with Pool(...) as pool:` terminates it "
                              "when the block ends; a pool kept in a global holds its CPUs until the program ends.")
    if all(run.outcome.timed_out or run.outcome.error for run in (map_run, async_run, imap_run)):
        raise CheckFailed(f"{map_run.text} {'did not return' if map_run.outcome.timed_out else 'raised'}, so "
                          "whether its pool was closed could not be checked.")
