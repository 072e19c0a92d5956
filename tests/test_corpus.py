"""The grader graded by its controls: the reference gets full marks, the untouched stub zero,
and every corpus submission fails exactly the checks its docstring names, for the intended reason."""

from __future__ import annotations

import pytest

from conftest import (REQUIRED_IDS, checks_it_can_affect, dump, failed_ids, grader_failures, override_files,
                      ray_processes_of_grader)
from grader.demo import expected_failures

pytestmark = [pytest.mark.slow, pytest.mark.ray]
OVERRIDES = {path.stem: expected_failures(path.read_text()) for path in override_files()}
SELECTED = {path.stem: checks_it_can_affect(path.read_text()) or REQUIRED_IDS for path in override_files()}
LOGGING_WITHOUT_RUN_EXPERIMENT = {"logging.actor_class", "logging.log_and_get", "logging.run_experiments_complete",
                                  "logging.ordering_per_worker", "logging.parallel", "logging.no_leaks"}


@pytest.mark.students("reference-notebook")
def test_reference_gets_full_marks(graded):
    report = graded["reference-notebook"]
    assert report.score == report.max_score == 20, dump(report)
    assert not report.problem and not report.flags


@pytest.mark.students("untouched-stub")
def test_untouched_stub_gets_zero_with_not_implemented_feedback(graded):
    report = graded["untouched-stub"]
    assert report.score == 0, dump(report)
    assert failed_ids(report) == set(REQUIRED_IDS)
    for check in report.checks:
        assert "not implemented yet" in check.feedback, (check.id, check.feedback)


@pytest.mark.parametrize("student", [pytest.param(s, marks=pytest.mark.students(s)) for s in sorted(OVERRIDES)])
def test_submission_fails_exactly_its_checks(graded, student):
    report = graded[student]
    assert OVERRIDES[student] <= set(SELECTED[student]), "the docstring names a check this override cannot affect"
    assert failed_ids(report) == OVERRIDES[student], dump(report)
    assert not report.flags, dump(report)  # a corpus submission is mistaken, never hostile: nothing to flag
    assert [c.id for c in report.checks] == [i for i in REQUIRED_IDS if i in SELECTED[student]]


@pytest.mark.students("async_logger", "fire_and_forget_logs", "blocking_work")
def test_feedback_names_the_ray_rule(graded):
    ordering = next(c for c in graded["async_logger"].checks if c.id == "logging.ordering_per_worker")
    assert "async" in ordering.feedback and "order" in ordering.feedback
    race = next(c for c in graded["fire_and_forget_logs"].checks if c.id == "logging.run_experiments_complete")
    assert "different caller" in race.feedback and "sleeping is not waiting" in race.feedback
    blocking = next(c for c in graded["blocking_work"].checks if c.id == "supervisor.work_nonblocking")
    assert "work.remote()" in blocking.feedback


@pytest.mark.students("hang_in_state")
def test_hang_fails_with_a_timeout_message(graded):
    report = graded["hang_in_state"]
    state = next(c for c in report.checks if c.id == "supervisor.state_values")
    assert "did not return within" in state.feedback or "did not answer" in state.feedback, state.feedback


@pytest.mark.students("os_exit_zero_in_run_experiments")
def test_os_exit_costs_only_the_checks_it_happened_in(graded):
    report = graded["os_exit_zero_in_run_experiments"]
    complete = next(c for c in report.checks if c.id == "logging.run_experiments_complete")
    assert "ended abruptly" in complete.feedback and "exit status 0" in complete.feedback
    assert "logging.ordering_per_worker" not in failed_ids(report)


@pytest.mark.students("crash_at_import")
def test_crash_at_import_names_file_and_line(graded):
    report = graded["crash_at_import"]
    feedback = next(c for c in report.checks if c.id == "logging.actor_class").feedback
    assert "actor_tree.py raised RuntimeError at line" in feedback and "crashed while loading" in feedback, feedback


@pytest.mark.students("syntax-error-py")
def test_syntax_error_in_py_is_a_clear_problem(graded):
    report = graded["syntax-error-py"]
    assert report.score == 0 and "SyntaxError in actor_tree.py, line" in report.problem, dump(report)
    assert failed_ids(report) == set(REQUIRED_IDS)


@pytest.mark.students("syntax-error-cell")
def test_syntax_error_in_one_cell_costs_only_that_cell(graded):
    report = graded["syntax-error-cell"]
    assert failed_ids(report) == LOGGING_WITHOUT_RUN_EXPERIMENT, dump(report)
    feedback = next(c for c in report.checks if c.id == "logging.actor_class").feedback
    assert "SyntaxError in actor_tree.ipynb, cell" in feedback, feedback


@pytest.mark.students("not-json-notebook")
def test_broken_notebook_json_is_reported_with_its_line(graded):
    report = graded["not-json-notebook"]
    assert "not a valid notebook" in report.problem and "line" in report.problem, dump(report)
    assert report.score == 0


@pytest.mark.students("empty-py")
def test_empty_file_reports_missing_names(graded):
    report = graded["empty-py"]
    assert report.score == 0
    assert "Supervisor is not defined" in next(c for c in report.checks if c.id == "supervisor.actor_classes").feedback


def test_no_grader_crashes(graded):  # over whatever was graded: every corpus student in a full run
    assert grader_failures(r for name, r in graded.items() if name != "temp dirs left") == []


@pytest.mark.students("empty-notebook")
def test_empty_notebook_is_a_clear_problem(graded):
    report = graded["empty-notebook"]
    assert report.score == 0 and "actor_tree.ipynb is empty" in report.problem, dump(report)
    assert [c.id for c in report.checks] == list(REQUIRED_IDS)


@pytest.mark.students("retyped-cell")
def test_cell_retyped_to_markdown_costs_only_what_it_defined(graded):
    report = graded["retyped-cell"]
    assert failed_ids(report) == {i for i in REQUIRED_IDS if i.startswith("supervisor.")}, dump(report)
    first = next(c for c in report.checks if c.id == "supervisor.actor_classes")
    assert "Worker is not defined" in first.feedback, first.feedback


@pytest.mark.students("endless-cell")
def test_endless_top_level_cell_is_skipped_and_noted(graded):
    report = graded["endless-cell"]
    assert report.score == 20, dump(report)
    assert any("still running after" in note for note in report.notes)


@pytest.mark.students("alt_seed_preamble")
def test_seed_preamble_keeps_the_graders_runtime(graded):
    report = graded["alt_seed_preamble"]
    assert report.score == report.max_score
    assert any("ray.init()" in note for note in report.notes) and any("ray.shutdown()" in n for n in report.notes)


@pytest.mark.students("flood_of_output")
def test_flood_of_output_is_bounded(graded):
    report = graded["flood_of_output"]
    assert report.score == report.max_score
    assert len(report.staff_log) < 200_000


@pytest.mark.students("blocked-ray-get-cell")
def test_blocked_ray_get_at_top_level_is_bounded(graded):
    report = graded["blocked-ray-get-cell"]
    assert report.score == 20, dump(report)
    assert any("GetTimeoutError" in note for note in report.notes), report.notes


def test_nothing_left_running_or_on_disk(graded):  # after whatever was graded
    assert ray_processes_of_grader() == []
    assert graded["temp dirs left"] == []
