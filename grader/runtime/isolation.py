"""Grade one submission in processes of its own: a fresh Ray head and a grading process with a
wall-clock limit. Whatever the submission does (hang, crash, os._exit, detached actors, a flood
of output), this returns a Report with every check, and leaves no process or folder behind.

This module runs processes and watches them; what they amount to (the Report) is decided by
grader.verdict from the journals and from what is observed here."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from grader.assignment import Assignment, hidden_folders, of_submissions
from grader.checks import all_specs
from grader.records import Report, Submission
from grader.runtime.cluster import HeadStartError, RayHead, grading_environment
from grader.runtime.off_limits import AttemptRecord, OffLimits
from grader.runtime.limits import DEFAULT_LIMITS, ControlGroup, Limits
from grader.runtime.owned import owned_name
from grader.runtime.sandbox import NAMESPACES, Sandbox, SandboxError, protection, student_uid
from grader.session.host import HOST_ENV, HOST_WRAP
from grader.session import journal as journal_file
from grader.verdict import LimitHit, Observed, ProcessRun, build_report, progress

OUTPUT_KEEP_BYTES = 16 * 1024
MAX_RESTARTS = 3
ATTEMPTS = range(1, MAX_RESTARTS + 2)
"""The first grading process and its restarts: each has its own journal and scratch folder."""
WATCH_SECONDS = 0.25
"""How often the parent looks at the grading process and at its Ray runtime's core processes."""


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

    def began_loading(self) -> bool:
        """The grading process said it was about to run the submission's code (journal.LOADING_MARKER)."""
        return journal_file.LOADING_MARKER.encode() in bytes(self.head)

    def text(self) -> str:
        self._thread.join(5)
        if self.total <= OUTPUT_KEEP_BYTES:
            return bytes(self.head).decode("utf-8", "replace")
        return (bytes(self.head).decode("utf-8", "replace") + f"\n... [{self.total:,} bytes in all] ...\n"
                + bytes(self.tail).decode("utf-8", "replace"))


def grade_isolated(submission: Submission, *, wall_seconds: float = 900.0, only: tuple[str, ...] = (),
                   limits: Limits = DEFAULT_LIMITS, guard: OffLimits | None = None, on_partial=None,
                   assignment: Assignment | None = None) -> Report:
    """on_partial(runs): called with the grading processes so far (the last one still running)
    each time its journal grows, for reports that must show what is graded as it is graded.
    assignment: what it is graded as (if not given, the one it tells: grader.assignment.of_submissions)."""
    started = time.monotonic()
    assignment = assignment or of_submissions([submission.path])
    specs = [s for s in all_specs(assignment) if not only or s.id in only]
    if submission.problem:
        return build_report(submission, specs, Observed(), problem=submission.problem)
    workdir = Path(tempfile.mkdtemp(prefix=owned_name()))
    try:
        journals = [_journal(workdir, attempt) for attempt in ATTEMPTS]
        record_path = workdir / "guard.sock"
        guard_file = (guard or OffLimits()).write(workdir, journals, record_path)
        mode, protection_note = protection()
        copy = _copy_of(submission, workdir)
        with AttemptRecord(record_path) as record, ControlGroup(limits) as group, \
                _sandbox(copy, workdir, guard_file, record_path, mode, hidden_folders(assignment)) as box:
            # For every process of the run: the guard (see runtime/off_limits.py), the sandbox's home.
            guarded = {"GRADER_GUARD": str(guard_file), **box.environment}
            head = RayHead(workdir, preexec_fn=group.enter, extra_env=guarded, wrap=box.wrap,
                           not_mine=box.holder_pids)
            # The first grading process imports Ray, pytest and the checks while the head starts.
            first = _launch(copy, head, workdir, assignment, only, 1, group, guarded, box, address_later=True)
            try:
                phase = time.monotonic()
                with head:
                    _send_address(first, head.address)
                    timing = f"ray head up in {time.monotonic() - phase:.1f} s"
                    phase = time.monotonic()
                    runs, staff = _grade_until_done(copy, head, workdir, assignment, wall_seconds, specs, only,
                                                    group, guarded, box, on_partial, first)
                    timing += f", grading process in {time.monotonic() - phase:.1f} s"
                    phase = time.monotonic()
                timing += f", stopped in {time.monotonic() - phase:.1f} s"
            except HeadStartError as error:
                observed = Observed(grader_failure=f"the grader could not start Ray for this submission "
                                                   f"({_first_line(error)})", staff=str(error))
                return build_report(submission, specs, observed, seconds=time.monotonic() - started)
            finally:
                _kill_group(first)
            if group.enforced:  # a group that was never made measured nothing: no "peak use" then
                usage = group.usage()
                staff += (f"\npeak use of the whole submission: {usage.peak_memory_mb:.0f} MB of "
                          f"{limits.memory_mb} MB, {usage.peak_tasks} of {limits.tasks} processes and threads")
            staff += f"\n{timing}\n{protection_note}"
            limits_off = "" if group.enforced else group.unavailable
        # After the record's block: every refusal sent before it closed has been read.
        observed = Observed(runs=tuple(runs), refused=tuple(record.flags()), limits_off=limits_off,
                            wall_seconds=wall_seconds, staff=staff)
        return build_report(submission, specs, observed, limits=limits, seconds=time.monotonic() - started)
    except SandboxError as error:
        observed = Observed(grader_failure=f"the grader could not make the sandbox for this submission "
                                           f"({_first_line(error)})", staff=str(error))
        return build_report(submission, specs, observed, seconds=time.monotonic() - started)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:200].rstrip(":")


def _sandbox(submission: Path, workdir: Path, guard_file: Path, record: Path, mode: str, hidden: list[Path]) -> Sandbox:
    """The submission's view: its own file, the guard's rules and the socket of its record of
    refused attempts (read only: a datagram needs no write to a file); a home and temp folder,
    Ray's temp dir and the scratch folders (writable). The journals stay outside: they are handed
    over as open descriptors, to the judge alone."""
    scratch = [_scratch(workdir, attempt) for attempt in ATTEMPTS]
    writable = [workdir / "home", workdir / "ray", *scratch]
    for folder in writable:
        folder.mkdir(exist_ok=True)
    evidence = [_evidence(workdir, attempt) for attempt in ATTEMPTS]
    for folder in evidence:  # the judge's: read-only here, so nothing in it is the submission's making
        folder.mkdir(mode=0o755, exist_ok=True)
    guard_file.chmod(0o644)  # readable, and the record writable, by the student's own user id
    record.chmod(0o666)
    return Sandbox([submission, guard_file, record, *evidence], writable, hidden=hidden,
                   enabled=mode == NAMESPACES, student_uid=student_uid())


def _copy_of(submission: Submission, workdir: Path) -> Path:
    """The submission's file as its processes read it: a copy anyone may read (the original may be
    readable by the instructor alone, and its processes run under a user id of their own)."""
    folder = workdir / "submission"
    folder.mkdir(mode=0o755)
    copy = folder / Path(submission.path).name
    shutil.copyfile(submission.path, copy)
    copy.chmod(0o644)
    return copy


def _scratch(workdir: Path, attempt: int) -> Path:
    return workdir / f"scratch-{attempt}"


def _judge_folder(workdir: Path, attempt: int) -> Path:
    """The judge's current, home and temp folder: outside the submission's view."""
    folder = workdir / f"judge-{attempt}"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def _evidence(workdir: Path, attempt: int) -> Path:
    return workdir / f"evidence-{attempt}"


def _journal(workdir: Path, attempt: int) -> Path:
    return workdir / f"journal-{attempt}.jsonl"


def _grade_until_done(submission: Path, head: RayHead, workdir: Path, assignment: Assignment, wall_seconds: float,
                      specs, only: tuple[str, ...], group: ControlGroup, guarded: dict, box: Sandbox,
                      on_partial=None, first: subprocess.Popen | None = None) -> tuple[list[ProcessRun], str]:
    """Run the grading process; if the submission kills it (os._exit, a crash), start it again for
    the checks not yet graded, so that a crash costs the check it happened in, not the ones after
    (grader.verdict fails that one with the reason). All runs share one wall-clock budget."""
    deadline = time.monotonic() + wall_seconds
    runs: list[ProcessRun] = []
    staff_parts = []
    done: set[str] = set()
    pending = tuple(s.id for s in specs)
    for attempt in ATTEMPTS:
        remaining = deadline - time.monotonic()
        if remaining <= 5:
            break
        partial = (lambda run, done=tuple(runs): on_partial((*done, run))) if on_partial else None
        run, staff = _run_grading_process(submission, head, workdir, assignment, remaining,
                                          pending if attempt > 1 or only else (), attempt, group, guarded, box,
                                          partial, launched=first if attempt == 1 else None)
        runs.append(run)
        staff_parts.append(staff)
        made = progress(run)
        if not made.died or made.load_problem:
            break  # finished, stopped at the wall clock or with its Ray runtime gone: no second try
        done |= made.graded | {made.running}
        pending = tuple(s.id for s in specs if s.id not in done)
        if not pending:
            break
    return runs, "\n".join(staff_parts)


def _launch(submission: Path, head: RayHead, workdir: Path, assignment: Assignment, only: tuple[str, ...], attempt: int,
            group: ControlGroup, guarded: dict, box: Sandbox, *, address_later: bool = False) -> subprocess.Popen:
    """Start a grading process, the judge (grader.session): it starts the submission's host process
    itself, wrapped as given here. address_later: it imports and prepares while the Ray head is
    still starting, then waits for the head's address on its stdin (see _send_address)."""
    journal = _journal(workdir, attempt)
    scratch = _scratch(workdir, attempt)
    scratch.mkdir(exist_ok=True)
    own = _judge_folder(workdir, attempt)
    # Nothing on the judge's import path or in its home is writable by the submission: its current
    # folder (first on sys.path under -m) is its own, user site-packages and pytest's plugin
    # entry points are not looked at.
    env = {**grading_environment(), **head.auth_env, "ACTOR_TREE_GRADING": "1", "PYTHONUNBUFFERED": "1",
           "HOME": str(own), "TMPDIR": str(own), "PYTHONSAFEPATH": "1", "PYTHONNOUSERSITE": "1",
           "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
           HOST_WRAP: json.dumps(box.wrap([], cwd=scratch, from_judge=True)), HOST_ENV: json.dumps(guarded)}
    # The journal is handed over open, to the judge alone: its path is not in the submission's view.
    journal_fd = os.open(journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    command = [sys.executable, "-m", "grader.session", "--address", "-" if address_later else head.address,
               "--journal-fd", str(journal_fd), "--scratch", str(scratch),
               "--evidence", str(_evidence(workdir, attempt)), "--assignment", str(assignment.folder), str(submission)]
    for check_id in only:
        command[-1:-1] = ["--only", check_id]
    try:
        return subprocess.Popen(box.wrap_judge(command), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                stdin=subprocess.PIPE if address_later else subprocess.DEVNULL, env=env, cwd=own,
                                start_new_session=True, preexec_fn=group.enter, pass_fds=(journal_fd,))
    finally:
        os.close(journal_fd)


def _send_address(process: subprocess.Popen, address: str) -> None:
    try:
        process.stdin.write(f"{address}\n".encode())
        process.stdin.close()
    except OSError:  # it ended already: its journal and return code will say why
        pass


def _run_grading_process(submission: Path, head: RayHead, workdir: Path, assignment: Assignment, wall_seconds: float,
                         only: tuple[str, ...], attempt: int, group: ControlGroup,
                         guarded: dict, box: Sandbox, on_partial=None,
                         launched: subprocess.Popen | None = None) -> tuple[ProcessRun, str]:
    journal = _journal(workdir, attempt)
    process = launched or _launch(submission, head, workdir, assignment, only, attempt, group, guarded, box)
    output = BoundedOutput(process.stdout)
    watch = LimitWatch(group, journal)
    timed_out, ray_stopped, seen = False, [], ()
    deadline = time.monotonic() + wall_seconds
    try:
        while process.poll() is None:  # until it ends, the wall clock, or its Ray runtime is gone
            if time.monotonic() >= deadline:
                timed_out = True
                break
            ray_stopped = head.stopped_core()
            if ray_stopped:
                break
            if on_partial is not None and (lines := journal_file.read_lines(journal)) != seen:
                seen = lines
                try:
                    on_partial(ProcessRun(journal=lines, returncode=None, running=True,
                                          loading_began=output.began_loading()))
                except Exception:  # a partial view that cannot be shown must not stop the grading
                    on_partial = None
            time.sleep(WATCH_SECONDS)
        if not timed_out and not ray_stopped and process.returncode != 0:
            # It did not end its own way (that is exit 0): if its Ray runtime went first, that is why,
            # though it ended between two looks.
            ray_stopped = head.stopped_core()
    finally:
        _kill_group(process)
        watch.stop()
    output_text = output.text()  # drained to the end: the marker, if printed, is in
    run = ProcessRun(journal=journal_file.read_lines(journal), returncode=process.returncode, timed_out=timed_out,
                     loading_began=output.began_loading(),
                     seconds_allowed=wall_seconds, limit_hits=tuple(watch.hits), ray_stopped=tuple(ray_stopped))
    return run, output_text


class LimitWatch:
    """Notices, while a grading process runs, each time the kernel enforces a limit on the
    submission's group, and which check was running then (the last one the journal started)."""

    def __init__(self, group: ControlGroup, journal: Path, interval: float = 0.2):
        self.hits: list[LimitHit] = []
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
            self.hits.append(LimitHit("memory", self._running()))
        if usage.task_limit_hits > self._seen.task_limit_hits:
            self.hits.append(LimitHit("tasks", self._running()))
        self._seen = usage

    def _running(self) -> str:
        started = [e.get("id") for e in journal_file.read(self._journal) if e.get("event") == journal_file.STARTED]
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
