"""The Ray runtime belongs to the grader: a submission's own ray.init() / ray.shutdown()
must neither start a second cluster nor shut the grader's down (the seed notebook calls both,
and even tests `ray.is_initialized` without calling it)."""

from __future__ import annotations

import ray

INIT_NOTE = ("Your code calls ray.init(); while grading, the grader's own Ray runtime is used and that "
             "call is ignored.")
SHUTDOWN_NOTE = "Your code calls ray.shutdown(); while grading it is ignored (the grader stops Ray itself)."


def keep_grader_runtime(notes: dict) -> None:
    """Replace ray.init / ray.shutdown for the rest of this process; record that they were called."""

    def init(*args, **kwargs):
        notes[INIT_NOTE] = None
        return None

    def shutdown(*args, **kwargs):
        notes[SHUTDOWN_NOTE] = None

    ray.init = init
    ray.shutdown = shutdown
