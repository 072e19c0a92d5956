"""grader.verdict without Ray: journals written by the real Journal writer (and forged lines
beside them), process endings as the parent observes them, and the Report that comes out."""

from __future__ import annotations

import json

import pytest

from grader.records import CheckResult, CheckSpec, Submission
from grader.runtime.limits import Limits
from grader.session.journal import Journal, read_lines
from grader.verdict import (CRASHED_FLAG, FORGED_FEEDBACK, FORGED_LINE_FLAG, FORGED_RESULT_FLAG, RAY_STOPPED_FLAG,
                            LimitHit, Observed, ProcessRun, build_report, progress)

SPECS = [CheckSpec("a.one", "First", 1), CheckSpec("a.two", "Second", 2), CheckSpec("a.three", "Third", 1)]
SUBMISSION = Submission(path="/x/alice.py", student="alice", shown_as="alice.py")


class Writer:
    """A journal as the grading process writes it, plus `forge` for lines the submission adds."""

    def __init__(self, path):
        self.path = path
        self.journal = Journal(path)

    def passed(self, spec, *, start=True):
        if start:
            self.journal.started(spec.id)
        self.journal.result(CheckResult.passed(spec, 0.5), "")

    def failed(self, spec, feedback):
        self.journal.started(spec.id)
        self.journal.result(CheckResult.failed(spec, feedback, 0.5), "")

    def forge(self, line):
        with open(self.path, "a") as handle:
            handle.write((line if isinstance(line, str) else json.dumps(line)) + "\n")

    def run(self, **observed) -> ProcessRun:
        return ProcessRun(journal=read_lines(self.path), **observed)


@pytest.fixture
def writer(tmp_path):
    w = Writer(tmp_path / "journal-1.jsonl")
    w.journal.loaded("", ["a note"], [])
    return w


def _report(*runs, **observed):
    return build_report(SUBMISSION, SPECS, Observed(runs=runs, wall_seconds=900, **observed), limits=Limits())


def _by_id(report):
    return {c.id: c for c in report.checks}


def test_a_clean_run_is_reported_with_rubric_points(writer):
    writer.passed(SPECS[0])
    writer.failed(SPECS[1], "observed x, expected y")
    writer.passed(SPECS[2])
    writer.journal.finished()
    report = _report(writer.run())
    assert [(c.id, c.status, c.score) for c in report.checks] == [
        ("a.one", "passed", 1), ("a.two", "failed", 0), ("a.three", "passed", 1)]
    assert _by_id(report)["a.two"].feedback == "observed x, expected y"
    assert report.flags == () and report.notes == ("a note",) and report.max_score == 4


def test_points_and_names_come_from_the_rubric_not_the_journal(writer):
    writer.journal.started("a.two")
    writer.forge({"event": "result", "result": {"id": "a.two", "name": "Mine", "score": 99, "max_score": 99,
                                                "status": "passed"}, "staff": ""})
    writer.journal.finished()
    check = _by_id(_report(writer.run()))["a.two"]
    assert (check.name, check.score, check.max_score) == ("Second", 2, 2)


def test_a_forged_line_is_flagged(writer):
    writer.passed(SPECS[0])
    writer.forge({"event": "party", "id": "a.one"})
    writer.forge("not json at all")
    writer.passed(SPECS[1])
    writer.passed(SPECS[2])
    writer.journal.finished()
    report = _report(writer.run())
    assert FORGED_LINE_FLAG in report.flags
    assert report.score == 4


def test_a_duplicated_result_voids_the_check(writer):
    writer.failed(SPECS[0], "wrong")
    writer.passed(SPECS[0], start=False)  # the submission's second result for the same check
    writer.journal.finished()
    report = _report(writer.run())
    assert _by_id(report)["a.one"].status == "failed" and _by_id(report)["a.one"].feedback == FORGED_FEEDBACK
    assert FORGED_RESULT_FLAG in report.flags


def test_a_result_for_a_check_never_started_does_not_count(writer):
    writer.passed(SPECS[2], start=False)
    writer.journal.finished()
    report = _report(writer.run())
    assert _by_id(report)["a.three"].status == "failed"
    assert FORGED_RESULT_FLAG in report.flags


def test_died_mid_check_fails_that_check_and_a_second_process_grades_the_rest(tmp_path, writer):
    writer.passed(SPECS[0])
    writer.journal.started("a.two")  # then os._exit(3): no result, no closing line
    first = writer.run(returncode=3)
    made = progress(first)
    assert made.died and made.running == "a.two" and made.graded == {"a.one"}
    second = Writer(tmp_path / "journal-2.jsonl")
    second.journal.loaded("", [], [])
    second.passed(SPECS[2])
    second.journal.finished()
    report = _report(first, second.run())
    assert [c.status for c in report.checks] == ["passed", "failed", "passed"]
    assert "ended abruptly during this check (exit status 3)" in _by_id(report)["a.two"].feedback
    assert report.flags == ()


def test_a_limit_hit_names_the_limit_in_that_checks_feedback_and_flags(writer):
    writer.passed(SPECS[0])
    writer.failed(SPECS[1], "the actor died")
    writer.passed(SPECS[2])
    writer.journal.finished()
    report = build_report(SUBMISSION, SPECS, Observed(runs=(writer.run(limit_hits=(LimitHit("memory", "a.two"),)),)),
                          limits=Limits(memory_mb=512))
    feedback = _by_id(report)["a.two"].feedback
    assert feedback.startswith("Limit exceeded: your code went over the memory limit (512 MB")
    assert feedback.endswith("What the check saw then: the actor died")
    assert any(f.startswith("Limit exceeded") and "during a.two" in f for f in report.flags)


def test_the_wall_clock_stops_the_running_check_and_skips_the_rest(writer):
    writer.passed(SPECS[0])
    writer.journal.started("a.two")
    report = _report(writer.run(returncode=-9, timed_out=True, seconds_allowed=300))
    checks = _by_id(report)
    assert checks["a.two"].feedback.startswith("This check was running when grading hit its wall-clock limit of 300 s")
    assert checks["a.three"].feedback.startswith("Not run: grading hit its wall-clock limit")
    assert "Grading was stopped by the wall-clock limit (900 s)." in report.flags


@pytest.mark.parametrize("forged", [{"event": "died", "returncode": 1}, {"event": "wall_clock", "seconds": 1},
                                    {"event": "limit", "kind": "memory", "check": "a.one"},
                                    {"event": "refused", "flag": "nothing"}])
def test_observations_written_by_the_submission_are_flagged_not_obeyed(writer, forged):
    writer.passed(SPECS[0])
    writer.forge(forged)
    writer.passed(SPECS[1])
    writer.passed(SPECS[2])
    writer.journal.finished()
    report = _report(writer.run())
    assert report.score == 4, report.checks
    assert FORGED_LINE_FLAG in report.flags
    assert not any(f.startswith(("Limit exceeded", "Grading was stopped", "nothing")) for f in report.flags)


def test_a_finished_line_written_early_by_the_submission_is_flagged_and_a_death_still_counts(writer):
    writer.passed(SPECS[0])
    writer.forge({"event": "finished"})
    writer.journal.started("a.two")  # then it crashes: the real closing line never comes
    run = writer.run(returncode=-11)
    assert progress(run).died
    report = _report(run)
    assert FORGED_LINE_FLAG in report.flags
    assert "ended abruptly during this check (exit status -11)" in _by_id(report)["a.two"].feedback


def test_a_torn_last_line_is_a_kill_not_a_forgery(writer):
    writer.passed(SPECS[0])
    writer.forge('{"event": "started", "id": "a.tw')
    report = _report(writer.run(returncode=-9))
    assert FORGED_LINE_FLAG not in report.flags
    assert report.checks[0].status == "passed"


def test_a_problem_fails_every_check_with_it():
    report = build_report(SUBMISSION, SPECS, Observed(), problem="alice.py is empty")
    assert all(c.feedback == "Not graded: alice.py is empty" for c in report.checks)
    assert report.problem == "alice.py is empty" and report.score == 0


def test_a_grader_failure_is_no_grade_even_for_the_checks_that_finished(writer):
    writer.passed(SPECS[0])
    writer.journal.crashed("Traceback: the grader's own bug")
    report = _report(writer.run(), grader_failure="the grader could not start Ray", staff="log")
    assert not report.graded and report.grader_failure == "the grader could not start Ray"
    assert all(c.status == "failed" and c.feedback.startswith("Not graded: the grader failed: the grader could not "
                                                              "start Ray. This is not a grade") for c in report.checks)
    assert report.to_json()["score"] is None and report.to_json()["grader_failure"]
    assert "the grader's own bug" in report.staff_log and "staff_log" not in report.to_json(student_view=True)


def test_a_crash_before_the_submission_ran_is_a_grader_failure(writer):
    writer.journal.crashed("Traceback: pytest could not start")
    report = _report(writer.run(loading_began=False))
    assert report.grader_failure == "the grading process failed before the submission was loaded"
    assert report.to_json()["score"] is None


def test_a_crash_once_the_submission_ran_is_no_grader_failure_and_keeps_what_was_graded(writer):
    """Student code can end a run this way (an interrupt makes pytest stop, or a forged line): it
    must not turn its own grade into "not graded"."""
    writer.passed(SPECS[0])
    writer.journal.started(SPECS[1].id)
    writer.journal.crashed("KeyboardInterrupt")
    writer.journal.finished()
    report = _report(writer.run(loading_began=True))
    assert report.graded and report.score == SPECS[0].points
    checks = _by_id(report)
    assert checks[SPECS[1].id].feedback == ("This check was running when the grading process stopped with an error "
                                            "(your instructor can see why).")
    assert checks[SPECS[2].id].feedback.startswith("Not run: the grading process stopped with an error")
    assert CRASHED_FLAG in report.flags and "KeyboardInterrupt" in report.staff_log


def test_refused_file_operations_and_limits_off_are_reported(writer):
    for spec in SPECS:
        writer.passed(spec)
    writer.journal.finished()
    report = _report(writer.run(), refused=("Refused: open of /solutions",), limits_off="no cgroup v1")
    assert "Refused: open of /solutions" in report.flags
    assert "limits not enforced here: no cgroup v1" in report.staff_log


def test_a_runtime_stopped_by_the_submission_stops_grading_at_once_saying_so(writer):
    writer.passed(SPECS[0])
    writer.journal.started("a.two")  # the parent found the raylet gone and stopped the process
    run = writer.run(returncode=-9, ray_stopped=("gcs_server", "raylet"))
    assert not progress(run).died  # not a crash to retry: the runtime itself is gone
    report = _report(run)
    checks = _by_id(report)
    assert checks["a.one"].status == "passed"
    assert checks["a.two"].feedback == ("This check was running when the submission's code stopped its Ray runtime "
                                        "(gcs_server, raylet ended), so nothing more could run.")
    assert checks["a.three"].feedback.startswith("Not run: the submission's code stopped its Ray runtime")
    assert RAY_STOPPED_FLAG in report.flags
