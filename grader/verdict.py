"""From what happened to a submission to its Report: one pure function, `build_report`.

Two sources, kept apart because only one of them can be trusted:
- the journal of each grading process (grader.session.journal): written by the process that also
  runs the student's code, so every line is a claim. Points and names come from the rubric, never
  from a line; a result counts only for a check the journal started, once; a line of a kind the
  grading process does not write (a "died" or a "limit" included) is flagged, never obeyed;
- what the parent process observed itself (ProcessRun, Observed): how each grading process
  ended, the wall clock, the limits the kernel enforced, the files the guard refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from grader.records import GRADER_FAILED, PASSED, CheckResult, CheckSpec, Report, Submission
from grader.runtime.limits import DEFAULT_LIMITS, ENABLE_HINT, Limits
from grader.session import journal as journal_format

FORGED_FEEDBACK = ("The grading journal held two results for this check, so one was forged by the code being "
                   "graded; the check cannot be scored. Your instructor has been told.")
FORGED_RESULT_FLAG = "The grading journal held a result the grader did not produce (tampering?)."
FORGED_LINE_FLAG = "The grading journal held lines the grader did not write (tampering?)."
CRASHED_FLAG = ("The grading process stopped with an error while it graded (the staff log has it): the grader's "
                "bug or the submission's doing; the checks it had not graded were not run.")
CRASHED_STOP = "the grading process stopped with an error (your instructor can see why)"
RAY_STOPPED_FLAG = "The submission stopped its own Ray runtime while it was graded; the remaining checks could not run."
LIMIT_TEXT = {
    "memory": "went over the memory limit ({memory_mb} MB for all of the submission's processes together, "
              "Ray's included), and the system stopped its largest process",
    "tasks": "went over the limit of {tasks} processes and threads (all of the submission's together), "
             "so creating more failed",
}


@dataclass(frozen=True)
class LimitHit:
    """The kernel enforced a limit on the submission's control group while `check` was running."""

    kind: str
    """A key of LIMIT_TEXT."""
    check: str = ""


@dataclass(frozen=True)
class ProcessRun:
    """One grading process, as the parent saw it."""

    journal: tuple[str, ...]
    """Its journal's lines, as read (the process's claims)."""
    returncode: int | None = 0
    timed_out: bool = False
    """The parent stopped it at the wall clock."""
    seconds_allowed: float = 0.0
    """The wall-clock budget it was given."""
    limit_hits: tuple[LimitHit, ...] = ()
    ray_stopped: tuple[str, ...] = ()
    """The core processes of its Ray runtime found gone (the parent then stopped the process)."""
    running: bool = False
    """Still running: a partial view (see grader.runtime.isolation's on_partial)."""
    loading_began: bool = True
    """It said, on a pipe only the parent reads, that the submission's code was about to run: a
    crash it reports after that may be the submission's doing, one before it is the grader's."""


@dataclass(frozen=True)
class Observed:
    """Everything the parent knows about one submission's grading."""

    runs: tuple[ProcessRun, ...] = ()
    refused: tuple[str, ...] = ()
    """Flags for the file operations the guard refused."""
    limits_off: str = ""
    """Why the memory and process limits were not enforced, if they were not."""
    grader_failure: str = ""
    """What broke on the grader's side before any process ran (e.g. Ray did not start)."""
    wall_seconds: float = 0.0
    staff: str = ""


@dataclass(frozen=True)
class RunProgress:
    """What one grading process got through: for deciding whether to start another."""

    graded: frozenset
    """Check ids the journal holds a result for."""
    running: str
    """The check started last and never finished ("" if none)."""
    died: bool
    """It ended by itself without the grader's closing line: os._exit, a crash, a kill."""
    load_problem: bool


def _events(run: ProcessRun) -> list[tuple[dict | None, bool]]:
    """[(event or None if unreadable, is last line)] of the run's journal."""
    lines = [line for line in run.journal if line.strip()]
    return [(journal_format.parse_line(line), i == len(lines) - 1) for i, line in enumerate(lines)]


def _finished_genuinely(run: ProcessRun) -> bool:
    """The grading process's own closing line is the journal's last readable line."""
    readable = [event for event, _ in _events(run) if event is not None]
    return bool(readable) and readable[-1].get("event") == journal_format.FINISHED


def _died(run: ProcessRun) -> bool:
    return not run.running and not run.timed_out and not run.ray_stopped and not _finished_genuinely(run)


def progress(run: ProcessRun) -> RunProgress:
    graded, started = set(), []
    load_problem = False
    for event, _ in _events(run):
        kind = event.get("event") if event else None
        if kind == journal_format.STARTED:
            started.append(str(event.get("id")))
        elif kind == journal_format.RESULT and isinstance(event.get("result"), dict):
            graded.add(str(event["result"].get("id")))
        elif kind == journal_format.LOADED and event.get("problem"):
            load_problem = True
    running = next((c for c in reversed(started) if c not in graded), "")
    return RunProgress(frozenset(graded), running, _died(run), load_problem)


def _died_feedback(returncode) -> str:
    return (f"The grading process ended abruptly during this check (exit status {returncode}): your code called "
            "os._exit() or crashed the Python interpreter. The other checks were run again in a new process.")


def _stop_reason(observed: Observed) -> str:
    """Why grading stopped early, from the parent's own observations (the first stop wins)."""
    for run in observed.runs:
        if run.ray_stopped:
            return (f"the submission's code stopped its Ray runtime ({', '.join(run.ray_stopped)} ended), so "
                    "nothing more could run")
        if run.timed_out:
            return (f"grading hit its wall-clock limit of {run.seconds_allowed:g} s and was stopped "
                    "(something in the submission never returned)")
        if _died(run):
            return (f"the grading process ended abruptly (exit status {run.returncode}): the submission's "
                    "code may have called os._exit() or crashed the interpreter")
    return ""


def build_report(submission: Submission, specs: list[CheckSpec], observed: Observed, *,
                 limits: Limits = DEFAULT_LIMITS, problem: str = "", seconds: float = 0.0) -> Report:
    """The report of one submission: every check of `specs`, whatever the journals claim."""
    spec_by_id = {spec.id: spec for spec in specs}
    by_id: dict[str, CheckResult] = {}
    notes, flags = [], []
    staff = observed.staff
    grader_failure = observed.grader_failure
    started: set[str] = set()
    limit_hits: dict[str, str] = {}
    running = None
    crashed_while_grading = False
    for run in observed.runs:
        for event, last in _events(run):
            kind = event.get("event") if event else None
            if kind == journal_format.LOADED:
                problem = problem or str(event.get("problem") or "")
                notes.extend(str(n) for n in event.get("notes") or ())
                flags.extend(str(f) for f in event.get("flags") or ())
            elif kind == journal_format.STARTED and event.get("id") in spec_by_id:
                running = event["id"]
                started.add(running)
            elif kind == journal_format.RESULT:
                result = _trusted_result(event.get("result"), spec_by_id, started, by_id)
                if result is None:
                    flags.append(FORGED_RESULT_FLAG)
                    claimed = event["result"].get("id") if isinstance(event.get("result"), dict) else None
                    if claimed in by_id:  # two results for one check: one was forged, so neither counts
                        by_id[claimed] = CheckResult.failed(spec_by_id[claimed], FORGED_FEEDBACK)
                    continue
                by_id[result.id] = result
                running = None
                if event.get("staff"):
                    staff += f"\n[{result.id}]\n{event['staff']}"
            elif kind == journal_format.TAMPERED:
                flags.append(str(event.get("flag") or "Tampering with the grading process (tampering?)."))
            elif kind == journal_format.CRASHED:
                staff += "\n" + str(event.get("staff", ""))
                if not run.loading_began:  # no student code had run: the grader's own failure
                    grader_failure = grader_failure or "the grading process failed before the submission was loaded"
                else:  # student code can end a run this way (an interrupt, a forged line): never "not graded"
                    crashed_while_grading = True
                    flags.append(CRASHED_FLAG)
            elif kind == journal_format.FINISHED and last:
                pass
            elif event is not None or not last:  # a torn last line is a kill mid-write, not a forgery
                flags.append(FORGED_LINE_FLAG)
        progress_made = progress(run)
        if progress_made.died and progress_made.running in spec_by_id and progress_made.running not in by_id \
                and not progress_made.load_problem:
            by_id[progress_made.running] = CheckResult.failed(spec_by_id[progress_made.running],
                                                              _died_feedback(run.returncode))
            running = None
        for hit in run.limit_hits:
            if hit.kind not in LIMIT_TEXT:
                continue
            what = LIMIT_TEXT[hit.kind].format(memory_mb=limits.memory_mb, tasks=limits.tasks)
            during = f" during {hit.check}" if hit.check in spec_by_id else ""
            flags.append(f"Limit exceeded: the submission {what}{during}.")
            limit_hits.setdefault(hit.check, what)
    if observed.limits_off:
        staff += f"\nmemory and process limits not enforced here: {observed.limits_off}; to enforce them, {ENABLE_HINT}"
    flags.extend(observed.refused)
    stop = _stop_reason(observed) or (CRASHED_STOP if crashed_while_grading else "")
    for check_id, what in limit_hits.items():
        if check_id in by_id and by_id[check_id].status != PASSED:
            hit = by_id[check_id]
            by_id[check_id] = CheckResult.failed(spec_by_id[check_id], f"Limit exceeded: your code {what} during this "
                                                 f"check. What the check saw then: {hit.feedback}", hit.seconds)
    results = []
    for spec in specs:
        if grader_failure:  # nothing of this run is a grade, not even the checks that finished
            results.append(CheckResult.failed(spec, GRADER_FAILED.format(reason=grader_failure)))
        elif spec.id in by_id:
            results.append(by_id[spec.id])
        elif problem:
            results.append(CheckResult.failed(spec, f"Not graded: {problem}"))
        elif spec.id == running and stop:
            results.append(CheckResult.failed(spec, f"This check was running when {stop}."))
        else:
            results.append(CheckResult.failed(spec, f"Not run: {stop or 'the grading process ended early'}."))
    if any(run.ray_stopped for run in observed.runs):
        flags.append(RAY_STOPPED_FLAG)
    if any(run.timed_out for run in observed.runs):
        flags.append(f"Grading was stopped by the wall-clock limit ({observed.wall_seconds:g} s).")
    return Report(submission=submission.shown_as, student=submission.student, checks=tuple(results),
                  flags=tuple(dict.fromkeys(flags)), notes=tuple(dict.fromkeys(notes)), problem=problem,
                  staff_log=staff.strip(), seconds=seconds, grader_failure=grader_failure)


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
