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


@contextlib.contextmanager
def sleeps_served_at_once(namespace: dict):
    """Within the block, time.sleep called from this thread returns at once (other threads, the
    student's included, sleep for real); yields the list of the seconds each served sleep asked."""
    caller = threading.get_ident()
    real_sleep = time.sleep
    served: list[float] = []

    def sleep(seconds):
        if threading.get_ident() != caller:
            return real_sleep(seconds)
        served.append(seconds)
        return real_sleep(0)  # lets other threads run, as a sleep would

    # `from time import sleep` in the submission binds the function itself: swap that name too.
    bound_names = [name for name, value in namespace.items() if value is real_sleep]
    time.sleep = sleep
    for name in bound_names:
        namespace[name] = sleep
    try:
        yield served
    finally:
        time.sleep = real_sleep
        for name in bound_names:
            if namespace.get(name) is sleep:
                namespace[name] = real_sleep
