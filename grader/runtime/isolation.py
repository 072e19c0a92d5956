"""Grade one submission in processes of its own: a fresh Ray head and a grading process with a
wall-clock limit. Whatever the submission does (hang, crash, os._exit, detached actors, a flood
of output), this returns a Report with every check, and leaves no process or folder behind."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from grader.checks import all_specs
from grader.records import PASSED, CheckResult, Report, Submission
from grader.runtime.cluster import HeadStartError, RayHead, grading_environment
from grader.runtime.guard import Guard
from grader.runtime.guard import attempts as guard_attempts
from grader.runtime.leftovers import owned_name
from grader.runtime.limits import ControlGroup, Limits
from grader.session import journal as journal_file

OUTPUT_KEEP_BYTES = 16 * 1024
DEFAULT_LIMITS = Limits()
MAX_RESTARTS = 3


class BoundedOutput:
    """Drains a pipe, keeping only its first and last bytes: a flood of output costs no memory."""

    def __init__(self, stream):
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0
        self._thread = threading.Thread(target=self._drain, args=(stream,), daemon=True)
        self._thread.start()

    def _drain(self, stream) -> None:
        for chunk in iter(lambda: stream.read(65536), b""):
            self.total += len(chunk)
            if len(self.head) < OUTPUT_KEEP_BYTES:
                self.head += chunk[: OUTPUT_KEEP_BYTES - len(self.head)]
            self.tail = (self.tail + chunk)[-OUTPUT_KEEP_BYTES:]

    def text(self) -> str:
        self._thread.join(5)
        if self.total <= OUTPUT_KEEP_BYTES:
            return bytes(self.head).decode("utf-8", "replace")
        return (bytes(self.head).decode("utf-8", "replace") + f"\n... [{self.total:,} bytes in all] ...\n"
                + bytes(self.tail).decode("utf-8", "replace"))


def grade_isolated(submission: Submission, *, wall_seconds: float = 900.0, only: tuple[str, ...] = (),
                   limits: Limits = DEFAULT_LIMITS, guard: Guard | None = None) -> Report:
    started = time.monotonic()
    specs = [s for s in all_specs() if not only or s.id in only]
    if submission.problem:
        return _report(submission, specs, [], problem=submission.problem, seconds=0.0)
    workdir = Path(tempfile.mkdtemp(prefix=owned_name()))
    try:
        journals = [workdir / f"journal-{attempt}.jsonl" for attempt in range(1, MAX_RESTARTS + 2)]
        guard_file, guard_log = (guard or Guard()).write(workdir, journals)
        with ControlGroup(limits) as group:
            try:
                with RayHead(workdir, preexec_fn=group.enter, extra_env={"GRADER_GUARD": str(guard_file)}) as head:
                    events, staff = _grade_until_done(submission, head.address, workdir, wall_seconds, specs,
                                                      only, group)
            except HeadStartError as error:
                return _report(submission, specs, [], staff=str(error), seconds=time.monotonic() - started,
                               grader_failure="the grader could not start Ray for this submission")
            if not group.enforced:
                events.append({"event": "limits_off", "why": group.unavailable})
            events += [{"event": "refused", "flag": flag} for flag in guard_attempts(guard_log)]
            usage = group.usage()
            staff += (f"\npeak use of the whole submission: {usage.peak_memory_mb:.0f} MB of {limits.memory_mb} MB, "
                      f"{usage.peak_tasks} of {limits.tasks} processes and threads")
        return _report(submission, specs, events, staff=staff, seconds=time.monotonic() - started,
                       wall_seconds=wall_seconds, limits=limits)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _grade_until_done(submission: Submission, address: str, workdir: Path, wall_seconds: float, specs,
                      only: tuple[str, ...], group: ControlGroup) -> tuple[list[dict], str]:
    """Run the grading process; if the submission kills it (os._exit, a crash), start it again for
    the checks not yet graded, so that a crash costs the check it happened in, not the ones after.
    The check that was running is failed with the reason. All runs share one wall-clock budget."""
    deadline = time.monotonic() + wall_seconds
    events: list[dict] = []
    staff_parts = []
    pending = tuple(s.id for s in specs)
    for attempt in range(1, MAX_RESTARTS + 2):
        remaining = deadline - time.monotonic()
        if remaining <= 5:
            break
        run_events, staff = _run_grading_process(submission, address, workdir, remaining,
                                                 pending if attempt > 1 or only else (), attempt, group)
        events.extend(e for e in run_events if isinstance(e, dict))
        staff_parts.append(staff)
        graded = {e["result"].get("id") for e in events
                  if e.get("event") == "result" and isinstance(e.get("result"), dict)}
        died = any(e.get("event") == "died" for e in run_events)
        if not died or any(e.get("event") == "loaded" and e.get("problem") for e in run_events):
            break
        running = [e.get("id") for e in run_events if isinstance(e, dict) and e.get("event") == "started"
                   and e.get("id") not in graded]
        if running:
            events.append({"event": "result", "result": _died_result(specs, running[-1], run_events)})
            graded.add(running[-1])
        pending = tuple(s.id for s in specs if s.id not in graded)
        if not pending:
            break
    return events, "\n".join(staff_parts)


def _died_result(specs, check_id: str, run_events: list[dict]) -> dict:
    from dataclasses import asdict

    spec = next(s for s in specs if s.id == check_id)
    code = next((e["returncode"] for e in run_events if e.get("event") == "died"), "?")
    return asdict(CheckResult.failed(spec, (
        f"The grading process ended abruptly during this check (exit status {code}): your code called "
        "os._exit() or crashed the Python interpreter. The other checks were run again in a new process.")))


def _run_grading_process(submission: Submission, address: str, workdir: Path, wall_seconds: float,
                         only: tuple[str, ...], attempt: int, group: ControlGroup) -> tuple[list[dict], str]:
    journal = workdir / f"journal-{attempt}.jsonl"
    scratch = workdir / f"scratch-{attempt}"
    scratch.mkdir()
    env = grading_environment()
    env["ACTOR_TREE_GRADING"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    env["GRADER_GUARD"] = str(workdir / "guard.json")
    # The journal is handed over open: its path is off limits to the code being graded.
    journal_fd = os.open(journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    command = [sys.executable, "-m", "grader.session", "--address", address, "--journal-fd", str(journal_fd),
               "--scratch", str(scratch), str(Path(submission.path).resolve())]
    for check_id in only:
        command[-1:-1] = ["--only", check_id]
    try:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, env=env, cwd=scratch, start_new_session=True,
                                   preexec_fn=group.enter, pass_fds=(journal_fd,))
    finally:
        os.close(journal_fd)
    output = BoundedOutput(process.stdout)
    watch = LimitWatch(group, journal)
    timed_out = False
    try:
        process.wait(wall_seconds)
    except subprocess.TimeoutExpired:
        timed_out = True
    finally:
        _kill_group(process)
        watch.stop()
    staff = output.text()
    events = journal_file.read(journal) + watch.events
    if timed_out:
        events.append({"event": "wall_clock", "seconds": wall_seconds})
    elif not any(e.get("event") == "finished" for e in events):
        # os._exit(0) is a death too: only the grader's own last line says the process ended normally.
        events.append({"event": "died", "returncode": process.returncode})
    return events, staff


class LimitWatch:
    """Notices, while a grading process runs, each time the kernel enforces a limit on the
    submission's group, and which check was running then (the last one the journal started)."""

    def __init__(self, group: ControlGroup, journal: Path, interval: float = 0.2):
        self.events: list[dict] = []
        self._group, self._journal, self._interval = group, journal, interval
        self._seen = group.usage()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        if group.enforced:
            self._thread.start()

    def _run(self) -> None:
        while not self._stopped.wait(self._interval):
            self._look()

    def _look(self) -> None:
        usage = self._group.usage()
        if usage.memory_kills > self._seen.memory_kills:
            self.events.append({"event": "limit", "kind": "memory", "check": self._running()})
        if usage.task_limit_hits > self._seen.task_limit_hits:
            self.events.append({"event": "limit", "kind": "tasks", "check": self._running()})
        self._seen = usage

    def _running(self) -> str:
        started = [e.get("id") for e in journal_file.read(self._journal) if e.get("event") == "started"]
        return str(started[-1]) if started else ""

    def stop(self) -> None:
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join(5)
        if self._group.enforced:
            self._look()


def _kill_group(process: subprocess.Popen) -> None:
    """The grading process runs in its own session: end it and anything it spawned, by its pid's group."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        pass


FORGED_FEEDBACK = ("The grading journal held two results for this check, so one was forged by the code being "
                   "graded; the check cannot be scored. Your instructor has been told.")
LIMIT_TEXT = {
    "memory": "went over the memory limit ({memory_mb} MB for all of the submission's processes together, "
              "Ray's included), and the system stopped its largest process",
    "tasks": "went over the limit of {tasks} processes and threads (all of the submission's together), "
             "so creating more failed",
}


def _report(submission: Submission, specs, events: list[dict], *, staff: str = "", seconds: float,
            problem: str = "", grader_failure: str = "", wall_seconds: float = 0.0,
            limits: Limits = DEFAULT_LIMITS) -> Report:
    """Build the report from the journal. Points and names come from the rubric, never from the
    journal (the submission's code runs in the process that writes it): a result counts only for a
    check that was started, once."""
    spec_by_id = {spec.id: spec for spec in specs}
    by_id: dict[str, CheckResult] = {}
    notes: list[str] = []
    flags: list[str] = []
    started: set[str] = set()
    limit_hits: dict[str, str] = {}
    running = None
    for event in events:
        kind = event.get("event") if isinstance(event, dict) else None
        if kind == "loaded":
            problem = problem or str(event.get("problem") or "")
            notes.extend(str(n) for n in event.get("notes") or ())
            flags.extend(str(f) for f in event.get("flags") or ())
        elif kind == "started" and event.get("id") in spec_by_id:
            running = event["id"]
            started.add(running)
        elif kind == "result":
            result = _trusted_result(event.get("result"), spec_by_id, started, by_id)
            if result is None:
                flags.append("The grading journal held a result the grader did not produce (tampering?).")
                claimed = event.get("result", {}).get("id") if isinstance(event.get("result"), dict) else None
                if claimed in by_id:  # two results for one check: one was forged, so neither counts
                    by_id[claimed] = CheckResult.failed(spec_by_id[claimed], FORGED_FEEDBACK)
                continue
            by_id[result.id] = result
            running = None
            if event.get("staff"):
                staff += f"\n[{result.id}]\n{event['staff']}"
        elif kind == "limit" and event.get("kind") in LIMIT_TEXT:
            what = LIMIT_TEXT[event["kind"]].format(memory_mb=limits.memory_mb, tasks=limits.tasks)
            during = f" during {event['check']}" if event.get("check") in spec_by_id else ""
            flags.append(f"Limit exceeded: the submission {what}{during}.")
            limit_hits.setdefault(str(event.get("check")), what)
        elif kind == "tampered":
            flags.append(str(event.get("flag") or "Tampering with the grading process (tampering?)."))
        elif kind == "refused":
            flags.append(str(event.get("flag")))
        elif kind == "limits_off":
            staff += f"\nmemory and process limits not enforced here: {event.get('why', '')}"
        elif kind == "crashed":
            grader_failure = grader_failure or "the grading process failed"
            staff += "\n" + str(event.get("staff", ""))
        elif kind not in ("finished", "wall_clock", "died"):
            flags.append("The grading journal held lines the grader did not write (tampering?).")
    stop = _why_stopped(events, grader_failure)
    for check_id, what in limit_hits.items():
        if check_id in by_id and by_id[check_id].status != PASSED:
            hit = by_id[check_id]
            by_id[check_id] = CheckResult.failed(spec_by_id[check_id], f"Limit exceeded: your code {what} during this "
                                                 f"check. What the check saw then: {hit.feedback}", hit.seconds)
    results = []
    for spec in specs:
        if spec.id in by_id:
            results.append(by_id[spec.id])
        elif problem:
            results.append(CheckResult.failed(spec, f"Not graded: {problem}"))
        elif spec.id == running and stop:
            results.append(CheckResult.failed(spec, f"This check was running when {stop}."))
        else:
            results.append(CheckResult.failed(spec, f"Not run: {stop or 'the grading process ended early'}."))
    if stop and "wall-clock" in stop:
        flags.append(f"Grading was stopped by the wall-clock limit ({wall_seconds:g} s).")
    return Report(submission=submission.shown_as, student=submission.student, checks=tuple(results),
                  flags=tuple(dict.fromkeys(flags)), notes=tuple(dict.fromkeys(notes)), problem=problem,
                  staff_log=staff.strip(), seconds=seconds)


def _trusted_result(data, spec_by_id: dict, started: set, already: dict) -> CheckResult | None:
    if not isinstance(data, dict) or data.get("id") not in spec_by_id:
        return None
    spec = spec_by_id[data["id"]]
    if spec.id not in started or spec.id in already:
        return None
    seconds = data.get("seconds") if isinstance(data.get("seconds"), (int, float)) else 0.0
    if data.get("status") == PASSED:
        return CheckResult.passed(spec, seconds)
    return CheckResult.failed(spec, str(data.get("feedback") or ""), seconds)


def _why_stopped(events: list[dict], grader_failure: str) -> str:
    for event in events:
        if event.get("event") == "wall_clock":
            return (f"grading hit its wall-clock limit of {event['seconds']:g} s and was stopped "
                    "(something in the submission never returned)")
        if event.get("event") == "died":
            return (f"the grading process ended abruptly (exit status {event['returncode']}): the submission's "
                    "code may have called os._exit() or crashed the interpreter")
    if grader_failure:
        return f"{grader_failure}; please tell your instructor"
    return ""
