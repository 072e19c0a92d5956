"""Grader-side code that runs inside the grading cluster's Ray workers.

These replace the inputs a student's code receives (training functions, the logging actor a
task gets, the `run_experiment` that `run_experiments` launches) so that what matters can be
observed directly and races are provoked on purpose instead of left to luck.

Everything the grader starts here asks Ray for no CPU: the checks also run in a student's own
Ray session (self-check, nbgrader's autograder cells), which may have one or two CPUs, and how
many grader tasks run at once must not depend on that (a barrier of three tasks on a 2-CPU
session would blame correct code for running its experiments one after another).
"""

from __future__ import annotations

import inspect
import tempfile
import time
import uuid
from pathlib import Path

import ray

from grader.checks.evidence import report
from grader.checks.observe import task_function

GATE_FILE = "gate-open"
GATE_LIMIT_SECONDS = 60.0
RESOURCE_OPTIONS = frozenset({"num_cpus", "num_gpus", "resources", "memory", "accelerator_type"})
"""Task options that ask for resources: a grader task ignores them (see GraderTask)."""


class GraderTask:
    """A grader task in place of a student's remote function: `.remote(...)` and `.options(...)`
    as on any remote function, but it never asks for a CPU, whatever options the caller adds."""

    def __init__(self, function):
        self._task = ray.remote(num_cpus=0)(function)

    def remote(self, *args, **kwargs):
        return self._task.remote(*args, **kwargs)

    def options(self, **options):
        return self._task.options(**{k: v for k, v in options.items() if k not in RESOURCE_OPTIONS})


def without_cpu(remote_function):
    """The student's own remote function as the grader launches it: same code and options, no CPU
    asked, so the tasks a check starts all run at once in any session (as on the grading runtime)."""
    return remote_function.options(num_cpus=0)


class RecordingTrainer:
    """A train_fn that records each call (pid, start, end) and, while the gate is closed,
    keeps training: so "work() returns before training ends" is a fact, not a timing."""

    def __init__(self, name: str, directory: str, minimum_seconds: float = 0.2):
        self.name = name
        self.directory = directory
        self.minimum_seconds = minimum_seconds
        self.__name__ = f"train_{name}"  # student code may log train_fn.__name__

    def recipe(self):
        """How the judge sends it to the submission's process (see grader.session.wire)."""
        return "trainer", {"name": self.name, "directory": self.directory, "minimum_seconds": self.minimum_seconds}

    def __call__(self):
        folder = Path(self.directory)
        report(self.directory, "start", folder.name, self.name)
        started = time.time()
        deadline = started + GATE_LIMIT_SECONDS
        while not ((folder / GATE_FILE).exists() or (folder / f"{GATE_FILE}-{self.name}").exists()) \
                and time.time() < deadline:
            time.sleep(0.02)
        remaining = self.minimum_seconds - (time.time() - started)
        if remaining > 0:
            time.sleep(remaining)
        report(self.directory, "end", folder.name, self.name)
        return 0


def open_gate(directory: str, model: str = "") -> None:
    """Let every trainer of this folder finish, or only the one of `model` (the judge alone can:
    the folder is one of grader.checks.evidence's)."""
    (Path(directory) / (f"{GATE_FILE}-{model}" if model else GATE_FILE)).touch()


def _gate_opened(directory: str, name: str) -> float:
    """When the judge opened this trainer's gate (the file's own time), or +inf."""
    times = []
    for gate in (GATE_FILE, f"{GATE_FILE}-{name}"):
        try:
            times.append((Path(directory) / gate).stat().st_mtime)
        except OSError:
            pass
    return min(times, default=float("inf"))


def trainer_calls(evidence, directory: str, name: str) -> list[dict]:
    """[{pid, start, end or None}] in call order, by the judge's clock, from the trainers' reports.
    A report of a training that ended while its gate was still closed (and not for the gate's
    time limit) was not sent by a trainer: it is not counted, and kept as a forgery."""
    calls, open_calls = [], {}
    opened = _gate_opened(directory, name)
    events = sorted(evidence.of("start", directory, name) + evidence.of("end", directory, name),
                    key=lambda e: e.seconds)
    for event in events:
        if event.fields[0] == "start":
            call = {"pid": event.pid, "start": event.seconds, "end": None}
            calls.append(call)
            open_calls.setdefault(event.pid, []).append(call)
        elif open_calls.get(event.pid):
            call = open_calls[event.pid][0]
            if event.seconds < opened and event.seconds - call["start"] < GATE_LIMIT_SECONDS - 1:
                evidence.forged(f"a report that training of {name!r} had ended came while its gate was still "
                                f"closed (from process {event.pid}); no trainer of the grader's sends that")
                continue
            open_calls[event.pid].pop(0)["end"] = event.seconds
    return calls


@ray.remote(num_cpus=0)
class Probe:
    """Stands in for a logging actor (records what it is sent, in arrival order) and relays
    calls to a real one (see RelayHandle)."""

    def __init__(self, actor_methods: tuple[str, ...]):
        # What the submission's tasks send here is decoded as the judge decodes (no code of theirs
        # runs in this process): what it records and relays is the grader's account of their calls.
        from grader.judge.safe_ray import connect_handles, install

        install(actor_methods)
        connect_handles()
        self.records = []
        self.arrivals = []
        self.delivered = []
        self.launches = []

    def log(self, index, message):
        self.records.append((index, message))
        self.arrivals.append(time.time())

    def get_logs(self):
        logs = {}
        for index, message in self.records:
            logs.setdefault(index, []).append(message)
        return logs

    def get_records(self):
        return list(self.records)

    def get_arrivals(self):
        """When each record arrived (time.time()), in the same order."""
        return list(self.arrivals)

    def forward(self, target, method, args, kwargs, delay):
        if delay:
            time.sleep(delay)
        # Stamped when sent: a driver polling get_logs may read the message, and return, before this
        # process hears back from the actor (a later stamp would call the honest return a forgery).
        sent = time.time()
        result = ray.get(getattr(target, method).remote(*args, **kwargs), timeout=120)
        if method == "log" and (args or "index" in kwargs):  # the contract's log(index, message), either way
            self.delivered.append((target._actor_id.hex(), args[0] if args else kwargs["index"], sent))
        return result

    def launched(self, index, n_iterations, delay):
        """A provoking run_experiment task began, with these arguments (see provoking_run_experiment)."""
        self.launches.append((index, n_iterations, delay, time.time()))

    def get_launched(self):
        """[(experiment index, n_iterations, delay, when)] of the provoking tasks, in the order they began."""
        return list(self.launches)

    def get_delivered(self):
        """[(the logging actor's id, experiment index, when the call was sent to it)] of the relayed log
        calls that it ran."""
        return list(self.delivered)


class RelayHandle:
    """What a task receives instead of the logging actor's handle. Every method call goes
    through the Probe, one at a time, so the calls of one task still reach the actor in the
    order they were sent (as Ray guarantees for one caller); `log` calls are also delivered
    late. Each call returns a real ObjectRef that resolves once the actor has run it: code that
    waits for its calls sees every message; code that fires and forgets loses the race every
    time, not one time in three."""

    def __init__(self, target, probe, delay: float):
        self._target = target
        self._probe = probe
        self._delay = delay

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return _RelayedMethod(self, name)


class _RelayedMethod:
    def __init__(self, handle: RelayHandle, name: str):
        self._handle = handle
        self._name = name

    def remote(self, *args, **kwargs):
        handle = self._handle
        delay = handle._delay if self._name == "log" else 0.0
        return handle._probe.forward.remote(handle._target, self._name, args, kwargs, delay)

    def options(self, **_options):
        return self


def stand_in(namespace: dict, name: str, value):
    """Put the grader's `value` (a recipe, built here against the namespace) in place of the
    submission's global `name`; returns what puts it back. A remote function reaches the stand-in
    by every other name too: an alias or a `.options(...)` made when the code was loaded
    (`launch = run_experiment.options(num_cpus=1)`) call the original object's `_remote`, which
    is routed to the stand-in meanwhile."""
    original = namespace[name]
    replacement = value.build(namespace) if hasattr(value, "build") else value
    namespace[name] = replacement
    rerouted = isinstance(original, ray.remote_function.RemoteFunction) and hasattr(replacement, "options")
    if rerouted:
        def _remote(args=None, kwargs=None, serialized_runtime_env_info=None, **options):
            options.pop("max_calls", None)  # a decorator's option that Ray itself drops here
            return replacement.options(**options).remote(*(args or ()), **(kwargs or {}))

        original._remote = _remote

    def put_back():
        namespace[name] = original
        if rerouted:
            vars(original).pop("_remote", None)

    return put_back


class Provoking:
    """In place of the submission's run_experiment: its own task, given a RelayHandle (built where
    the submission's code is, from this recipe)."""

    def __init__(self, probe, delay: float):
        self.probe, self.delay = probe, delay

    def recipe(self):
        return "provoking", {"probe": self.probe, "delay": self.delay}

    def build(self, namespace: dict):
        return provoking_run_experiment(task_function(namespace["run_experiment"]), self.probe, self.delay)


class Barrier:
    """In place of the submission's run_experiment: barrier_run_experiment (built from this recipe)."""

    def __init__(self, directory: str, expected: int, wait_seconds: float):
        self.directory, self.expected, self.wait_seconds = directory, expected, wait_seconds

    def recipe(self):
        return "barrier", {"directory": self.directory, "expected": self.expected, "wait_seconds": self.wait_seconds}

    def build(self, namespace: dict):
        return barrier_run_experiment(self.directory, self.expected, self.wait_seconds)


def provoking_run_experiment(student_function, probe, delay: float):
    """A `run_experiment` task that tells the probe which arguments it was launched with, then runs
    the student's own function with a RelayHandle."""

    def run_experiment(experiment_index, logging_actor, *args, **kwargs):
        ray.get(probe.launched.remote(*_launch_arguments(student_function, experiment_index, *args, **kwargs)))
        return student_function(experiment_index, RelayHandle(logging_actor, probe, delay), *args, **kwargs)

    return GraderTask(run_experiment)


def _launch_arguments(function, experiment_index, *args, **kwargs) -> tuple:
    """(experiment_index, n_iterations, delay) as the student's run_experiment receives them, its
    defaults filled in, by position (the contract's order, whatever the parameters are called);
    None for what cannot be bound (the call itself then fails, in the student's code)."""
    try:
        bound = inspect.signature(function).bind(experiment_index, None, *args, **kwargs)
    except (TypeError, ValueError):
        return experiment_index, None, None
    bound.apply_defaults()
    values = list(bound.arguments.values())
    return experiment_index, *(values[i] if len(values) > i else None for i in (2, 3))


def _mark(folder: Path, kind: str) -> None:
    """An event as an empty file whose name carries its time: created atomically, never half-read."""
    (folder / f"{kind}-{time.time():.6f}-{uuid.uuid4().hex}").touch()


def _times(folder: Path, kind: str) -> list[float]:
    return [float(p.name.split("-")[1]) for p in folder.glob(f"{kind}-*")]


def barrier_run_experiment(directory: str, expected: int, wait_seconds: float):
    """A `run_experiment` task that logs like a correct one, but first waits (up to wait_seconds)
    until all `expected` experiments have started, or one has already finished. The tasks meet
    through marks in a temp folder of theirs; whether they overlapped is what they reported to the
    judge (see overlap())."""

    def run_experiment(experiment_index, logging_actor, n_iterations=60, delay=1.0):
        label = Path(directory).name
        meeting = Path(tempfile.gettempdir()) / f"grader-barrier-{label}"
        meeting.mkdir(exist_ok=True)
        report(directory, "start", label)
        _mark(meeting, "start")
        deadline = time.time() + wait_seconds
        while time.time() < deadline:
            if len(_times(meeting, "start")) >= expected or _times(meeting, "done"):
                break
            time.sleep(0.02)
        messages = [logging_actor.log.remote(experiment_index, f"On iteration {i}") for i in range(n_iterations)]
        ray.get(messages, timeout=120)
        _mark(meeting, "done")
        report(directory, "done", label)

    return GraderTask(run_experiment)


class RecordingCall:
    """In place of a function of one argument that the submission hands to other processes (a
    pool's map, a task): reports each call's start and return with its argument, takes the time
    the judge set for that argument, and returns the judge's answer for it. The judge's times
    make the calls finish in an order of its choosing."""

    def __init__(self, directory: str, answers: dict, seconds: dict, name: str = "function"):
        self.directory, self.answers, self.seconds = directory, answers, seconds
        self.__name__ = name  # student code may print function.__name__

    def recipe(self):
        return "call", {"directory": self.directory, "answers": self.answers, "seconds": self.seconds,
                        "name": self.__name__}

    def build(self, namespace: dict):
        return self

    def __call__(self, argument):
        label = Path(self.directory).name
        if argument not in self.answers:
            raise ValueError(f"{self.__name__}({argument!r}): {argument!r} is none of the values it was given")
        report(self.directory, "call", label, repr(argument))
        time.sleep(self.seconds.get(argument, 0.0))
        report(self.directory, "return", label, repr(argument))
        return self.answers[argument]


def recorded_calls(evidence, directory: str) -> list[dict]:
    """[{pid, parent, argument, start, end or None}] of a RecordingCall's calls, in the order they
    started, by the judge's clock."""
    calls, open_calls = [], {}
    events = sorted(evidence.of("call", directory) + evidence.of("return", directory), key=lambda e: e.seconds)
    for event in events:
        kind, argument = event.fields[0], (event.fields[2] if len(event.fields) > 2 else "")
        if kind == "call":
            call = {"pid": event.pid, "parent": event.parent, "argument": argument, "start": event.seconds,
                    "end": None}
            calls.append(call)
            open_calls.setdefault((event.pid, argument), []).append(call)
        elif open_calls.get((event.pid, argument)):
            open_calls[(event.pid, argument)].pop(0)["end"] = event.seconds
    return calls


def most_at_once(calls: list[dict]) -> int:
    """The largest number of calls running at the same moment."""
    moments = sorted([(c["start"], 1) for c in calls] + [(c["end"], -1) for c in calls if c["end"] is not None],
                     key=lambda m: (m[0], m[1]))
    running = most = 0
    for _, step in moments:
        running += step
        most = max(most, running)
    return most


RECIPES = {"trainer": RecordingTrainer, "provoking": Provoking, "barrier": Barrier, "call": RecordingCall}
"""The grader's objects a check hands to the submission's code, by the kind their recipe names."""


def overlap(evidence, directory: str, not_tasks: set[int]) -> tuple[int, int]:
    """(experiments started before the first one finished, experiments started), by the judge's
    clock: those overlapping count one per Ray worker process that reported a start (one process
    runs one task at a time); no barrier task runs in an actor's process, in the driver, or in a
    process a worker forked."""
    reports = evidence.of("start", directory) + evidence.of("done", directory)
    running: set[int] = set()
    for event in sorted(reports, key=lambda e: e.seconds):
        if event.fields[0] != "start":
            running.discard(event.pid)
            continue
        not_a_task = event.pid in not_tasks or event.parent not in ("raylet", "")
        if not_a_task or event.pid in running:
            evidence.forged(f"a barrier task's start was reported from process {event.pid}, which "
                            + ("is no Ray task's" if not_a_task else "had reported a start already and not its end"))
        running.add(event.pid)
    starts = [e for e in evidence.of("start", directory) if e.pid not in not_tasks and e.parent in ("raylet", "")]
    dones = evidence.of("done", directory)
    first_done = min((e.seconds for e in dones), default=float("inf"))
    return len({e.pid for e in starts if e.seconds < first_done}), len(starts)
