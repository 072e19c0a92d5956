"""`grade()`: the one function behind the `grade` command. It never raises for a submission:
whatever happens to one student, every other is graded and every report has every check."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil

from grader import __version__
from grader.assignment import Assignment, of_submissions
from grader.atomic import write_atomically
from grader.checks import all_specs, rubric_modules
from grader.discovery import discover
from grader.records import GRADER_FAILED, CheckResult, Report, Submission
from grader.runtime.off_limits import for_submission
from grader.runtime.isolation import grade_isolated
from grader.runtime.leftovers import sweep
from grader.runtime.limits import DEFAULT_LIMITS, Limits
from grader.runtime.sandbox import at_once


def grade(paths, *, jobs: int = 1, wall_seconds: float = 900.0, results_dir=None, only=(),
          progress=None, limits: Limits = DEFAULT_LIMITS, run_one=None,
          assignment: Assignment | None = None) -> list[Report]:
    """Grade every submission found under `paths`; reports come back in discovery order.

    results_dir: if given, each report is saved there as it is finished, and a rerun reuses the
    reports of unchanged submissions: a run that died halfway finishes the rest.
    progress: called as progress(done, total, report) after each submission.
    run_one: grades one submission that has a file to grade (default: here,
    grader.runtime.isolation.grade_isolated; on a Ray cluster: grader.on_cluster.remote_grader).
    assignment: what they are graded as (if not given, the one they tell: grader.assignment.of_submissions).
    """
    return grade_submissions(discover(paths), jobs=jobs, wall_seconds=wall_seconds, results_dir=results_dir,
                             only=only, progress=progress, limits=limits, run_one=run_one, assignment=assignment)


def grade_submissions(submissions: list[Submission], *, jobs: int = 1, wall_seconds: float = 900.0,
                      results_dir=None, only=(), progress=None,
                      limits: Limits = DEFAULT_LIMITS, off_limits=(), on_partial=None,
                      run_one=None, assignment: Assignment | None = None) -> list[Report]:
    """`grade()` for submissions already found (see grader.discovery). off_limits: more paths
    the code being graded may not touch (beside the solutions, other students and the saved reports).
    on_partial(submission, runs): the grading processes of a submission so far, as they go."""
    sweep()  # what a grader killed outright left running, before this run needs the machine
    only = tuple(only)
    assignment = assignment or of_submissions([s.path for s in submissions if not s.problem])
    rubric_digest = _assignment_digest(assignment)
    reports_dir = Path(results_dir) if results_dir else None
    if reports_dir:
        reports_dir.mkdir(parents=True, exist_ok=True)
        _remove_torn_writes(reports_dir)
    done = 0

    def one(submission: Submission) -> Report:
        nonlocal done
        selected = submission.checks or only
        cache_key = (*selected, repr(limits), rubric_digest)  # other checks, limits or rubric: graded again
        report = _cached(reports_dir, submission, cache_key) if reports_dir else None
        if report is None:
            guard = for_submission(submission, submissions, assignment, results_dir=reports_dir, extra_deny=off_limits)
            partial = (lambda runs, submission=submission: on_partial(submission, runs)) if on_partial else None
            # Nothing to grade (a folder without a notebook): its report is made here, whoever
            # grades the others (a cluster's task would have no file to take along).
            grade_one = grade_isolated if submission.problem else run_one or grade_isolated
            report = _grade_safely(grade_one, submission, wall_seconds, selected, limits, guard, partial, assignment)
            if reports_dir:
                _save(reports_dir, submission, cache_key, report)
        done += 1
        if progress:
            progress(done, len(submissions), report)
        return report

    if run_one is None:  # graded here: on a cluster, each node has its own protection
        jobs = at_once(jobs)[0]
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(one, submissions))


def _grade_safely(run_one, submission: Submission, wall_seconds: float, only, limits: Limits, guard,
                  on_partial, assignment: Assignment) -> Report:
    try:
        return run_one(submission, wall_seconds=wall_seconds, only=only, limits=limits, guard=guard,
                       on_partial=on_partial, assignment=assignment)
    except Exception as error:  # a grader bug must cost this student a clear "not graded", not the batch
        reason = f"{type(error).__name__}: {error}".splitlines()[0][:300]
        checks = tuple(CheckResult.failed(s, GRADER_FAILED.format(reason=reason))
                       for s in all_specs(assignment) if not only or s.id in only)
        return Report(submission.shown_as, submission.student, checks, staff_log=traceback.format_exc(),
                      grader_failure=reason)


@functools.lru_cache(maxsize=1)
def _grader_code_digest() -> str:
    """A changed grader must not reuse reports made by the old one."""
    digest = hashlib.sha256(__version__.encode())
    for source in sorted(Path(__file__).resolve().parent.rglob("*.py")):
        digest.update(source.read_bytes())
    return digest.hexdigest()


def _assignment_digest(assignment: Assignment) -> str:
    """Its record and its rubric's files (a changed rubric must not reuse reports made by the old one)."""
    digest = hashlib.sha256(assignment.name.encode())
    digest.update(assignment.record.read_bytes())
    for module in rubric_modules(assignment):
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()


def _fingerprint(submission: Submission, only) -> str:
    digest = hashlib.sha256(f"{_grader_code_digest()}|{','.join(only)}|".encode())
    path = Path(submission.path)
    if path.is_file():
        digest.update(path.read_bytes())
    else:
        digest.update(submission.problem.encode())
    return digest.hexdigest()


def _cache_path(reports_dir: Path, submission: Submission) -> Path:
    return reports_dir / f"{submission.student}.json"


def _cached(reports_dir: Path, submission: Submission, only) -> Report | None:
    try:
        saved = json.loads(_cache_path(reports_dir, submission).read_text())
    except (OSError, json.JSONDecodeError):
        return None
    if saved.get("fingerprint") != _fingerprint(submission, only):
        return None
    report = Report.from_json({**saved["report"], "staff_log": saved.get("staff_log", "")})
    if not report.graded:
        return None  # the grader failed on it last time: grade it again
    return dataclasses.replace(report, reused=True)


def _remove_torn_writes(reports_dir: Path) -> None:
    """A grader killed while saving leaves its temporary file (never a torn report: the rename is atomic)."""
    for leftover in reports_dir.glob(".tmp-*.json"):
        owner = leftover.name.split("-")[1]
        if not owner.isdigit() or not psutil.pid_exists(int(owner)):
            leftover.unlink(missing_ok=True)


def _save(reports_dir: Path, submission: Submission, only, report: Report) -> None:
    """Write atomically: a killed run leaves the old file or the new one, never half of one."""
    data = {"fingerprint": _fingerprint(submission, only),
            "report": {k: v for k, v in report.to_json().items() if k not in ("staff_log", "reused")},
            "staff_log": report.staff_log}
    write_atomically(_cache_path(reports_dir, submission), json.dumps(data, indent=1))
