"""Quick tests of what needs neither Ray nor an nbgrader run: the docstring fields that drive the
corpus and the hostile batch, the corpus fixture's choice of students, the course files and the
release helpers, and the `grade` command's usage errors (called in-process; tests/test_cli.py runs
the real command)."""

from __future__ import annotations

import io
import os
import re
import sys
from pathlib import Path
from types import SimpleNamespace

import nbformat
import psutil
import pytest

from conftest import (BUILT_IN, REQUIRED_IDS, Graded, build_corpus, checks_it_can_affect, corpus_students,
                      override_files, students_needed)
from grader import cli
from grader.checks import all_specs
from grader.nbgrader_course import CourseError, grade_course, new_course
from grader.course_notebooks import notebook_code
from grader.demo import compose, docstring_field, expected_failures
from grader.records import CheckResult, Report
from grader.release import AUTOGRADER_PREFIX, autograder_grade_id, sync_source, with_autograder_cells
from grader.report.progress import Progress
from grader.runtime.limits import Limits, auto_jobs
from conftest import ACTOR_TREE

HOSTILE = Path(__file__).resolve().parent / "hostile"


# -- the docstring fields of corpus, mistake and hostile files ---------------------------------------

def test_rubric_has_every_required_check():
    assert [s.id for s in all_specs(ACTOR_TREE)] == list(REQUIRED_IDS)
    assert sum(s.points for s in all_specs(ACTOR_TREE)) == 20


def test_every_required_check_has_a_submission_that_fails_it():
    failing = set().union(*(expected_failures(path.read_text()) for path in override_files()))
    assert failing >= set(REQUIRED_IDS), sorted(set(REQUIRED_IDS) - failing)


def test_every_fails_field_names_real_checks_or_none():
    for path in override_files():
        field = docstring_field(path.read_text(), "Fails")
        assert field, f"{path.name} has no Fails: line"
        assert expected_failures(path.read_text()) <= set(REQUIRED_IDS), (path.name, field)
        assert (field == "none") == (not expected_failures(path.read_text())), (path.name, field)


def test_every_hostile_file_names_the_checks_it_runs_fails_and_says():
    files = sorted(HOSTILE.glob("*.py"))
    assert len(files) >= 10
    for path in files:
        text = path.read_text()
        checks = set(docstring_field(text, "Checks").replace(",", " ").split())
        fails = set(docstring_field(text, "Fails").replace(",", " ").split()) - {"none"}
        assert checks and checks <= set(REQUIRED_IDS), (path.name, checks)
        assert fails <= checks, (path.name, fails)
        assert bool(docstring_field(text, "Says")) == bool(fails), path.name


DOCUMENTED = '''"""What this override does.

Fails: logging.parallel,
       logging.no_leaks
Says: a text: with a colon
Insert-before: class LoggingActor
"""
X = 1
'''


def test_docstring_field_reads_one_field_with_its_continuation_lines():
    assert docstring_field(DOCUMENTED, "Fails") == "logging.parallel, logging.no_leaks"
    assert docstring_field(DOCUMENTED, "Says") == "a text: with a colon"
    assert docstring_field(DOCUMENTED, "Insert-before") == "class LoggingActor"
    assert docstring_field(DOCUMENTED, "Flag") == "" and docstring_field("X = 1\n", "Fails") == ""
    assert docstring_field(DOCUMENTED, "does") == ""  # a field starts its line
    assert expected_failures(DOCUMENTED) == {"logging.parallel", "logging.no_leaks"}


def test_compose_appends_or_inserts_before_the_marker_and_its_decorators():
    reference = "import ray\n\n@ray.remote\nclass LoggingActor:\n    pass\n\nZ = 2\n"
    appended = compose(reference, "Y = 1\n")
    assert appended.startswith(reference.rstrip()) and appended.endswith("Y = 1\n")
    inserted = compose(reference, DOCUMENTED).splitlines()
    assert inserted.index("X = 1") < inserted.index("@ray.remote") < inserted.index("class LoggingActor:")
    assert inserted[0] == "import ray" and inserted[-1] == "Z = 2"


# -- the corpus fixture: which students, which checks -------------------------------------------------

def test_an_override_is_graded_on_the_checks_it_can_affect():
    supervisor = {i for i in REQUIRED_IDS if i.startswith("supervisor.")}
    assert set(checks_it_can_affect("@ray.remote\nclass Worker:\n    pass\n")) == supervisor
    assert set(checks_it_can_affect('"""doc"""\nimport os\ndef run_experiments():\n    pass\n')) == \
        set(REQUIRED_IDS) - supervisor
    assert checks_it_can_affect("class Worker:\n    pass\nprint('at import')\n") == ()
    assert checks_it_can_affect("class Worker:\n    pass\ndef run_experiments():\n    pass\n") == ()


class _Item:
    """What students_needed reads of a collected test."""

    def __init__(self, *students, reads_graded=True, named=True):
        self.fixturenames = ("graded",) if reads_graded else ("tmp_path",)
        self._marks = [pytest.mark.students(*students).mark] if named else []

    def iter_markers(self, name):
        return iter(self._marks if name == "students" else [])


def test_the_corpus_fixture_grades_only_the_students_the_selected_tests_name():
    assert students_needed([]) == set()
    assert students_needed([_Item("async_logger"), _Item("empty-py", "async_logger"),
                            _Item("reference-notebook", reads_graded=False)]) == {"async_logger", "empty-py"}
    assert students_needed([_Item("empty-py"), _Item(named=False)]) == corpus_students()
    everyone = corpus_students()
    assert {p.stem for p in override_files()} | set(BUILT_IN) == everyone and len(everyone) >= 50


def test_build_corpus_writes_only_the_students_asked_for(tmp_path):
    files = build_corpus(tmp_path, {"empty-py", "async_logger"})
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.py")) == \
        ["async_logger/actor_tree/actor_tree.py", "empty-py/actor_tree/actor_tree.py"]
    assert set(files) == {"empty-py", "async_logger"} and files["empty-py"].read_text() == ""
    assert "async def log" in files["async_logger"].read_text()


def test_a_student_no_test_named_is_a_clear_error():
    graded = Graded({"empty-py": "report"})
    with pytest.raises(KeyError, match=r"'async_logger' was not graded: name it in the test's @pytest.mark.students"):
        graded["async_logger"]


# -- course files and release helpers ----------------------------------------------------------------

def _tagged(source, **metadata):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata.update(metadata)
    return cell


def test_notebook_code_leaves_out_demo_and_autograder_cells(tmp_path):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        _tagged("A = 1"),
        nbformat.v4.new_markdown_cell("B = 2"),
        _tagged("C = 3", tags=["demo"]),
        _tagged("D = 4", nbgrader={"grade": True, "solution": True, "grade_id": "answer"}),
        _tagged("E = 5", nbgrader={"grade": True, "solution": False, "grade_id": "check-x"}),
    ]
    path = tmp_path / "nb.ipynb"
    nbformat.write(notebook, path)
    assert notebook_code(path) == "A = 1\n\nD = 4\n"
    assert notebook_code(path, skip_tags=()) == "A = 1\n\nC = 3\n\nD = 4\n"


def test_autograder_grade_ids_are_unique_nbgrader_ids():
    ids = [autograder_grade_id(s.id) for s in all_specs(ACTOR_TREE)]
    assert autograder_grade_id("logging.no_leaks") == "check-logging-no_leaks"
    assert len(set(ids)) == len(ids) and all(re.fullmatch(r"[A-Za-z0-9_-]+", i) for i in ids)


def test_the_autograder_section_is_rewritten_once_before_the_closing_cell():
    notebook = nbformat.v4.new_notebook()
    stale = _tagged("old", nbgrader={"grade": True, "grade_id": AUTOGRADER_PREFIX + "gone", "solution": False})
    closing = nbformat.v4.new_markdown_cell("The end.")
    closing.metadata["nbgrader"] = {"grade_id": "closing"}
    notebook.cells = [_tagged("A = 1"), stale, closing]
    once = nbformat.writes(with_autograder_cells(notebook, ACTOR_TREE))
    twice = nbformat.writes(with_autograder_cells(nbformat.reads(once, as_version=4), ACTOR_TREE))
    assert once == twice
    grade_ids = [(c.metadata.get("nbgrader") or {}).get("grade_id") for c in nbformat.reads(once, 4).cells]
    assert grade_ids == [None, "autograder-md", *(autograder_grade_id(s.id) for s in all_specs(ACTOR_TREE)), "closing"]


def test_sync_source_rewrites_the_source_only_when_its_section_drifted(tmp_path):
    source = tmp_path / "actor_tree.ipynb"
    source.write_text(ACTOR_TREE.source.read_text())
    assert sync_source(source, ACTOR_TREE) is False
    notebook = nbformat.read(source, as_version=4)
    notebook.cells = [c for c in notebook.cells
                      if c.metadata.get("nbgrader", {}).get("grade_id") != autograder_grade_id("logging.parallel")]
    nbformat.write(notebook, source)
    assert sync_source(source, ACTOR_TREE) is True
    assert nbformat.writes(nbformat.read(source, as_version=4)) == \
        nbformat.writes(nbformat.read(ACTOR_TREE.source, as_version=4))


def test_new_course_writes_its_config_and_source_and_never_overwrites(tmp_path):
    config, source, exchange = new_course(tmp_path / "course", exchange=tmp_path / "ex", course_id="ray-101",
                                          assignments=[ACTOR_TREE])
    text = config.read_text()
    compile(text, str(config), "exec")
    assert "c.CourseDirectory.course_id = 'ray-101'" in text and f"c.Exchange.root = '{tmp_path / 'ex'}'" in text
    assert source.read_text() == ACTOR_TREE.source.read_text() and exchange.is_dir()
    with pytest.raises(CourseError, match="nbgrader_config.py already exists"):
        new_course(tmp_path / "course")


def test_grading_a_course_needs_its_config_then_its_gradebook(tmp_path):
    with pytest.raises(CourseError, match="has no nbgrader_config.py"):
        grade_course(tmp_path, "actor_tree")
    new_course(tmp_path / "course")
    with pytest.raises(CourseError, match=r"no gradebook yet: run `nbgrader generate_assignment actor_tree`"):
        grade_course(tmp_path / "course", "actor_tree")


# -- the grade command's usage errors, in-process -----------------------------------------------------

USAGE_ERRORS = {
    "nothing to grade": ([], "give a SUBMISSION path, or --demo"),
    "jobs 0": (["--jobs", "0", "x.py"], "argument --jobs: at least 1"),
    "jobs not a number": (["--jobs", "two", "x.py"], "argument --jobs: 'two' is neither a number nor auto"),
    "timeout 0": (["--timeout", "0", "x.py"], "--timeout must be positive"),
    "memory too small": (["--memory", "100", "x.py"], "--memory at least 512 (MB)"),
    "two modes": (["--self-check", "x.ipynb", "--demo"], "use one of SUBMISSION..., --demo, --self-check"),
    "paths with a course mode": (["x.py", "--new-course", "c"], "use one of SUBMISSION..."),
    "unknown check": (["--only", "no.such_check", "."], "unknown check id(s): no.such_check"),
    "missing path": (["nowhere.ipynb"], "nowhere.ipynb: no such file or folder"),
    "not a submission file": (["notes.txt"], "notes.txt: not a notebook (.ipynb) or Python file (.py)"),
    "not a course folder": (["--nbgrader", "actor_tree"], "has no nbgrader_config.py"),
}


@pytest.mark.parametrize("case", sorted(USAGE_ERRORS))
def test_usage_error_exits_2_saying_why(case, tmp_path, monkeypatch, capsys):
    argv, message = USAGE_ERRORS[case]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))  # main() puts the start-up folder on it
    (tmp_path / "notes.txt").write_text("")
    with pytest.raises(SystemExit) as exit_:
        cli.main(argv)
    captured = capsys.readouterr()
    assert exit_.value.code == 2 and captured.out == ""
    assert message in captured.err, captured.err


def test_jobs_auto_takes_a_core_each_within_the_memory(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    monkeypatch.setattr(psutil, "virtual_memory", lambda: SimpleNamespace(total=24 * 2**30))
    assert auto_jobs(Limits(memory_mb=3072))[0] == 8
    assert auto_jobs(Limits(memory_mb=8192))[0] == 3  # 24 GiB hold three 8 GiB limits
    monkeypatch.setattr(psutil, "virtual_memory", lambda: SimpleNamespace(total=2 * 2**30))
    jobs, why = auto_jobs(Limits(memory_mb=3072))
    assert jobs == 1 and why == "8 cores, 2 GiB of memory, 3072 MB planned per submission"


def test_progress_is_one_plain_line_per_submission_outside_a_terminal():
    stream = io.StringIO()
    show = Progress(stream)
    show(1, 2, Report("a.py", "ada", (CheckResult("x", "X", 1, 1, "passed", "visible"),), seconds=12.3))
    show(2, 2, Report("b.py", "bo", (CheckResult("x", "X", 0, 1, "failed", "visible"),), seconds=7))
    assert stream.getvalue() == "[1/2] ada: 1/1 (12 s)\n[2/2] bo: 0/1 (7 s)\n"


def test_progress_is_a_bar_in_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    stream = Terminal()
    show = Progress(stream)
    for done, student in enumerate(("ada", "bo", "cy"), 1):
        show(done, 3, Report(f"{student}.py", student, (CheckResult("x", "X", 1, 1, "passed", "visible"),)))
    shown = stream.getvalue()
    assert "grading: 100%" in shown and "3/3" in shown and "cy: 1/1" in shown and "[1/3]" not in shown
