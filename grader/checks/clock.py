"""Driver-side sleeps served by the grader's clock.

During the provoked run of run_experiments, a `time.sleep` in the submission's own driver code
returns at once. A fixed sleep before reading the logs is a guess at how long Ray takes: here the
guess reads early on every machine, not only on a slow or loaded one, so the verdict on it never
depends on the machine. Code that waits (ray.get, ray.wait, polling get_logs until every message
is there) is unaffected: it re-checks, whatever a sleep between its checks lasts.
"""

from __future__ import annotations

import contextlib
import threading
import time
import types


@contextlib.contextmanager
def sleeps_served_at_once(namespace: dict):
    """Within the block, time.sleep called from this thread by the code of `namespace` (the
    submission's module: its `time.sleep` and a `sleep` it imported from time) returns at once;
    other threads, the student's own included, sleep for real. Nothing outside the namespace is
    touched (the time module itself is under the tamper watch). Yields the list of the seconds each
    served sleep asked for."""
    caller = threading.get_ident()
    served: list[float] = []

    def sleep(seconds):
        if threading.get_ident() != caller:
            return time.sleep(seconds)
        served.append(seconds)
        return time.sleep(0)  # lets other threads run, as a sleep would

    served_time = types.ModuleType("time", time.__doc__)
    served_time.__dict__.update({k: v for k, v in vars(time).items() if not k.startswith("__")})
    served_time.sleep = sleep
    swaps = {name: (value, served_time if value is time else sleep) for name, value in namespace.items()
             if value is time or value is time.sleep}
    for name, (_, served_value) in swaps.items():
        namespace[name] = served_value
    try:
        yield served
    finally:
        for name, (original, served_value) in swaps.items():
            if namespace.get(name) is served_value:
                namespace[name] = original
