"""What the grader reads from Ray beyond its public API, kept to this one module.

The actor table comes straight from the GCS: the grader holds actor ids, never extra handles (a
handle it kept would keep the actor alive and hide a leak), and `ray.util.state` needs the
dashboard, which a grading head does not run. Also here: how many calls of a method Ray's task
events record for an actor, the plain function inside a remote function, and the options an actor
class was declared with.
"""

from __future__ import annotations

import inspect
import os
from dataclasses import dataclass

from ray._private import state

from grader.checks.calls import wait_until
from grader.runtime.cluster import TASK_EVENTS_INTERVAL_VARIABLE

ALIVE_STATES = {"ALIVE", "PENDING_CREATION", "DEPENDENCIES_UNREADY", "RESTARTING"}


@dataclass(frozen=True)
class ActorRecord:
    id: str
    class_name: str
    state: str
    pid: int
    port: int
    owner_port: int
    detached: bool

    @property
    def alive(self) -> bool:
        return self.state in ALIVE_STATES


def actors() -> dict[str, ActorRecord]:
    table = {}
    for actor_id, info in state.actors().items():
        table[actor_id] = ActorRecord(
            id=actor_id,
            class_name=str(info.get("ActorClassName", "")).rsplit(".", 1)[-1],
            state=str(info.get("State", "")),
            pid=int(info.get("Pid") or 0),
            port=int((info.get("Address") or {}).get("Port") or 0),
            owner_port=int((info.get("OwnerAddress") or {}).get("Port") or 0),
            detached=bool(info.get("IsDetached")),
        )
    return table


def actor_id(handle) -> str:
    return handle._actor_id.hex()


def children(parent_id: str) -> list[ActorRecord]:
    """Actors created by the actor `parent_id` (their owner is its worker process)."""
    table = actors()
    parent = table.get(parent_id)
    if parent is None or not parent.port:
        return []
    return [a for a in table.values() if a.owner_port == parent.port and a.id != parent_id]


def alive_after(ids, *, timeout: float) -> list[ActorRecord]:
    """The actors among `ids` still alive after waiting up to `timeout` (ray.kill is asynchronous)."""
    ids = set(ids)

    def still_alive():
        return [a for a in actors().values() if a.id in ids and a.alive]

    wait_until(lambda: not still_alive(), timeout=timeout, interval=0.1)
    return still_alive()


def _recorded_calls(actor_id: str, method: str) -> dict | None:
    """{task id: {Ray TaskStatus number: when, in ns}} of each `method` call Ray's own task events
    record for the actor `actor_id` (from the GCS, as the caller's and the actor's core workers
    reported them), or None where Ray records no task events (they can be turned off). Core
    workers report them in batches (see task_events_settled_seconds)."""
    try:
        events = state.state._get_all_task_events()
    except Exception:  # an older or newer Ray without this path: nothing recorded
        return None
    if not events:
        return None
    calls: dict = {e.task_id: {} for e in events if e.HasField("task_info")
                   and e.task_info.actor_id.hex() == actor_id
                   and e.task_info.func_or_class_name.rsplit(".", 1)[-1] == method}
    for event in events:
        if event.task_id in calls and event.HasField("state_updates"):
            calls[event.task_id].update(dict(event.state_updates.state_ts_ns))
    return calls


def calls_received(actor_id: str, method: str) -> int | None:
    """How many `method` calls Ray records for the actor `actor_id` (None: it records none)."""
    calls = _recorded_calls(actor_id, method)
    return None if calls is None else len(calls)


SUBMITTED, FINISHED = 1, 11
"""Ray's TaskStatus numbers: PENDING_ARGS_AVAIL (the caller submitted the call), FINISHED."""


def call_spans(actor_id: str, method: str) -> list[tuple[float, float]] | None:
    """[(when the caller submitted it, when the actor finished it)] in seconds, for each `method`
    call Ray records for the actor `actor_id`, in the order they were submitted (None: it records
    none). The caller and the actor report the two moments separately: a call missing either is
    left out."""
    calls = _recorded_calls(actor_id, method)
    if calls is None:
        return None
    return sorted((times[SUBMITTED] / 1e9, times[FINISHED] / 1e9) for times in calls.values()
                  if SUBMITTED in times and FINISHED in times)


def task_events_settled_seconds() -> float:
    """How long after a call Ray's task events of it are all in the GCS: core workers report every
    RAY_task_events_report_interval_ms (1000 unless set; a grading runtime sets 100, see
    grader.runtime.cluster), and this process's environment is theirs."""
    try:
        interval = float(os.environ.get(TASK_EVENTS_INTERVAL_VARIABLE) or 1000) / 1000
    except ValueError:
        interval = 1.0
    return 1.5 * interval + 0.2


def task_function(remote_function):
    """The undecorated function of a @ray.remote function."""
    return remote_function._function


def concurrency(actor_class) -> tuple[list[str], int]:
    """(the async methods of an actor class, its max_concurrency): what decides whether Ray runs
    one caller's calls in order."""
    cls = actor_class.__ray_actor_class__
    async_methods = [name for name, member in inspect.getmembers(cls)
                     if inspect.iscoroutinefunction(member) or inspect.isasyncgenfunction(member)]
    return async_methods, int(declared_options(actor_class).get("max_concurrency") or 1)


def declared_options(actor_class) -> dict:
    """The options given in @ray.remote(...) on an actor class (e.g. max_concurrency)."""
    return dict(getattr(actor_class, "_default_options", None) or {})
