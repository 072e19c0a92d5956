"""The student's own Ray session, borrowed by the checks that run in a Jupyter kernel.

`grade` gives every submission a Ray runtime it owns; the self-check and nbgrader's autograder
cells run the same checks on whatever session the notebook started: `ray.init()` with the
machine's CPUs, `num_cpus=1`, with or without `log_to_driver`, after demo cells that left actors
behind. A verdict must not depend on any of that (the checks ask Ray for no CPU of their own, see
grader.checks.probes). What is left is handled here:

- the student's ray.init()/ray.shutdown() calls cannot replace or stop the session mid-check;
- a session that cannot start the actors the checks need (no CPU at all, or every CPU held, for
  instance by actors declared with num_cpus) is named as the cause: "not judged here", never a
  fault of the code;
- named actors left by earlier cells are pointed out (code that looks them up finds old ones);
- what the checks' Ray workers print is held back, so that it never lands in a later cell's
  output (nbgrader scores an autograder cell that wrote to stderr 0).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import threading
import time

import ray
from ray._private import state
from ray._private.ray_logging import global_worker_stdstream_dispatcher

from grader.checks import observe
from grader.records import FAILED, CheckResult
from grader.runtime.cluster import GRADING_CPUS
from grader.session.ray_calls import keep_grader_runtime

KERNEL_CPUS = 4
"""CPUs of the Ray session started here when the notebook has none: what the Setup cell asks for."""
SETUP_ADVICE = (f"Start Ray as the notebook's Setup cell does (ray.init(num_cpus={KERNEL_CPUS}, ...)), or restart "
                "the kernel and run the cells above again, then check again.")
PENDING_SECONDS = 3.0
"""An actor still waiting to be created this long while no CPU is free is starved, not slow."""
LOG_DRAIN_SECONDS = 3.0
"""Worker output still in flight after the checks end is dropped for this long."""


def not_judged(result: CheckResult, why: str) -> CheckResult:
    """The result of a check that the session could not judge: failed, saying why, blaming nothing."""
    seen = f" What the check saw: {result.feedback}" if result.feedback else ""
    return dataclasses.replace(result, status=FAILED, score=0.0,
                               feedback=f"Not judged in this Ray session: {why}. {SETUP_ADVICE}{seen}")


class ResourceWatch:
    """Samples the session while checks run: actors that Ray cannot start for lack of CPUs, and
    the check (its part of the rubric) running when that happened."""

    def __init__(self, namespace: dict):
        self._namespace = namespace
        self._first_pending: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="grader:resource-watch", daemon=True)
        self.current_check = ""
        self.starved: dict[str, str] = {}
        """{rubric part ("supervisor", "logging"): why its checks could not be judged}"""

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            try:
                self._sample()
            except Exception:  # the session may be gone (a student's code killed Ray): nothing to sample
                continue

    def _sample(self) -> None:
        now = time.monotonic()
        pending = {a.id: a for a in observe.actors().values() if a.state == "PENDING_CREATION"}
        for actor_id in list(self._first_pending):
            if actor_id not in pending:
                del self._first_pending[actor_id]
        for actor_id in pending:
            self._first_pending.setdefault(actor_id, now)
        starved = sorted({a.class_name for i, a in pending.items() if now - self._first_pending[i] >= PENDING_SECONDS})
        if starved and ray.available_resources().get("CPU", 0) < 1 and self.current_check:
            part = self.current_check.split(".")[0]
            self.starved.setdefault(part, self._why(starved, ray.cluster_resources().get("CPU", 0)))

    def _why(self, class_names: list[str], cpus: float) -> str:
        asks = []
        for name in class_names:
            options = observe.declared_options(self._namespace.get(name))
            if options.get("num_cpus"):
                asks.append(f"{name} is declared with num_cpus={options['num_cpus']:g}")
        held = f" ({'; '.join(asks)})" if asks else ""
        return (f"Ray could not start {', '.join(class_names)}: all {cpus:g} CPU(s) of this session were in use"
                f"{held}; the grading runtime has {GRADING_CPUS}")

    def judge(self, results: list[CheckResult]) -> list[CheckResult]:
        """Failed checks of a starved part become "not judged here"."""
        return [not_judged(r, self.starved[r.id.split(".")[0]])
                if r.status == FAILED and r.id.split(".")[0] in self.starved else r for r in results]


@contextlib.contextmanager
def borrowed_session(notes: dict):
    """Use the notebook's Ray session (start one if there is none), and keep the student's
    ray.init()/ray.shutdown() calls from replacing or stopping it while the checks run."""
    if not ray.is_initialized():
        ray.init(address="local", num_cpus=KERNEL_CPUS, include_dashboard=False,
                 logging_level=logging.ERROR, log_to_driver=False)
        notes["Ray was not running in this kernel; the check started a local Ray session."] = None
    leftovers = _named_actors()
    if leftovers:
        notes[f"This Ray session already holds named actors from earlier cells ({', '.join(leftovers)}): code that "
              "looks them up (get_if_exists, ray.get_actor) finds these instead of new ones, which the final "
              "grade never does. Restart the kernel and run the cells above before checking."] = None
    original = ray.init, ray.shutdown
    keep_grader_runtime(notes)
    try:
        with _worker_output_held_back():
            yield
    finally:
        ray.init, ray.shutdown = original


def session_cpus() -> float:
    return ray.cluster_resources().get("CPU", 0)


def no_cpu_reason(cpus: float) -> str:
    return (f"this session has {cpus:g} CPUs, and Ray starts no actor on a session without a CPU, so no check "
            "could run")


def _named_actors() -> list[str]:
    try:
        table = state.actors()
    except Exception:  # an older or odd session: the note is a courtesy
        return []
    return sorted({str(info.get("Name")) for info in table.values()
                   if info.get("Name") and info.get("State") not in ("DEAD", "")})


@contextlib.contextmanager
def _worker_output_held_back():
    """While the checks run, and LOG_DRAIN_SECONDS after (lines still in flight), the session's
    worker output is dropped instead of printed in the notebook; then Ray's printer is put back as
    it was. A session started with log_to_driver=False prints nothing anyway; one started with the
    default would otherwise print the checks' worker output into whichever cell runs next."""
    dispatcher = global_worker_stdstream_dispatcher
    with dispatcher._lock:  # the dispatcher keeps (name, handler) pairs; hold Ray's printer back in place
        original = list(dispatcher.handlers)
        held = [(name, _dropped) for name, _ in original]
        dispatcher.handlers = held
    try:
        yield
    finally:
        def put_back():
            with dispatcher._lock:
                if dispatcher.handlers == held:  # unless Ray was restarted meanwhile (it set its own)
                    dispatcher.handlers = original

        timer = threading.Timer(LOG_DRAIN_SECONDS, put_back)
        timer.daemon = True
        timer.start()


def _dropped(data) -> None:
    """Ray's printer while the checks' output is held back."""
