"""The nbgrader course: set one up for this assignment, and grade its collected submissions into
nbgrader's own records (gradebook, autograded/, feedback/) with this project's isolated runner.

    grade --new-course COURSE_DIR      source/actor_tree/ from solutions/, nbgrader_config.py
    grade --nbgrader actor_tree        from the course folder, after `nbgrader collect`

Per check, the gradebook gets the score of the autograder cell of that check (grade_id
`check-<id>`), so `nbgrader export` and the formgrader show per-check scores, and plain
`nbgrader autograde` (which runs those cells in a kernel) writes the same cells.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import sys
import threading
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

from grader.assignment import Assignment, find, for_course, installed
from grader.atomic import write_atomically
from grader.discovery import submission_folder
from grader.grading import grade_submissions
from grader.nbgrader_output import RESULTS_FOLDER, brief, generate_feedback, record
from grader.records import Report
from grader.release import AUTOGRADER_PREFIX, tool_environment

CONFIG_FILE = "nbgrader_config.py"

CONFIG_TEMPLATE = '''\
"""nbgrader configuration of this course, written by `grade --new-course`.

nbgrader's own commands and `grade --nbgrader` read it from this folder. Students fetching and
submitting need the same course id and exchange root (in their own nbgrader_config.py, or
/etc/jupyter/nbgrader_config.py on a shared server).
"""
import os

c = get_config()
c.CourseDirectory.course_id = {course_id!r}
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.Exchange.root = {exchange!r}

# The first autograder cell runs the whole rubric on Ray: about half a minute for working code,
# minutes for code that hangs (each check stops at its own limit). nbgrader's 30 s is too short.
c.Execute.timeout = {cell_timeout}
# A student who deleted an autograder cell gets it back (and its points, if the check passes).
c.OverwriteCells.add_missing_cells = True

# Feedback must not show the code of hidden tests (nbgrader keeps it by default): strip it.
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import ClearHiddenTests, GetGrades

c.GenerateFeedback.preprocessors = [ClearHiddenTests, GetGrades, CSSHTMLHeaderPreprocessor]

# Ray workers started from the notebook's kernel skip a 2.4 s import each (rfc3987_syntax: pulled in
# by Jupyter, never used by Ray). It more than halves the time `nbgrader autograde` takes here.
try:
    from grader.runtime import with_startup_path
except ImportError:  # the grader is not installed where nbgrader runs: slower, still correct
    pass
else:
    with_startup_path(os.environ)

# The feedback page opens with a summary of every check: its name, points, and why it was missed
# (grader/feedback_page.py: a preprocessor and a template of nbgrader's own kind).
try:
    from grader.feedback_page import TEMPLATE_FILE, TEMPLATE_NAME, TEMPLATES, CheckSummary
except ImportError:  # the grader is not installed where nbgrader runs: nbgrader's own feedback page
    pass
else:
    import nbgrader

    c.GenerateFeedback.preprocessors = [ClearHiddenTests, GetGrades, CheckSummary, CSSHTMLHeaderPreprocessor]
    c.HTMLExporter.template_name = TEMPLATE_NAME
    c.HTMLExporter.template_file = TEMPLATE_FILE
    nbgrader_templates = os.path.join(os.path.dirname(nbgrader.__file__), "server_extensions", "formgrader",
                                      "templates")
    c.HTMLExporter.extra_template_basedirs = [str(TEMPLATES), nbgrader_templates]
'''


class CourseError(ValueError):
    """The course folder cannot be used as asked (the command exits 2 with this message)."""


def course_id_of(assignments: list[Assignment]) -> str:
    """The course id a new course takes by default: its one assignment's name as nbgrader ids read
    (actor-tree), or a course of several: ray-course."""
    return assignments[0].name.replace("_", "-") if len(assignments) == 1 else "ray-course"


def new_course(root: Path, *, exchange: Path | None = None, course_id: str | None = None,
               cell_timeout: int = 900, assignments: list[Assignment] | None = None) -> list[Path]:
    """Create an nbgrader course folder with `assignments` (default: every one installed) in its
    source/, its course id `course_id` (default: course_id_of); returns the files written: the
    config, each assignment's source notebook, the exchange."""
    assignments = assignments or installed() or [find()]
    course_id = course_id or course_id_of(assignments)
    root = Path(root).resolve()
    exchange = Path(exchange).resolve() if exchange else root / "exchange"
    config = root / CONFIG_FILE
    sources = [root / "source" / assignment.name / assignment.notebook for assignment in assignments]
    for existing in (config, *sources):
        if existing.exists():
            raise CourseError(f"{existing} already exists; choose a new folder (nothing was changed).")
    for assignment, source in zip(assignments, sources, strict=True):
        source.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(assignment.source, source)
    config.write_text(CONFIG_TEMPLATE.format(course_id=course_id, exchange=str(exchange), cell_timeout=cell_timeout))
    exchange.mkdir(parents=True, exist_ok=True)
    if exchange.stat().st_uid == os.getuid():
        exchange.chmod(0o777)  # nbgrader's exchange must be writable by every student
    return [config, *sources, exchange]


# -- grade --nbgrader ------------------------------------------------------------------------------

def grade_course(root: Path, assignment: str, *, student: str | None = None, jobs: int = 1,
                 wall_seconds: float = 900.0, only=(), progress=None, problems=None, limits=None,
                 run_one=None, graded_as: Assignment | None = None) -> list[Report]:
    """Grade every collected submission of `assignment` (or one student's) and record each in the
    gradebook and autograded/ as it finishes; then write feedback/ with nbgrader generate_feedback.
    Reports already saved under grade_results/ for unchanged submissions are reused.

    Whatever fails while recording one student (a timestamp.txt that is not a date, the gradebook,
    autograded/, the feedback) costs that student only: the others are recorded all the same, the
    returned report and the saved one carry a flag saying what failed and what to do, and
    problems(student, message) is called (default: printed on stderr). A rerun records what is
    missing without grading anyone again, and drops the flags of what it could record.
    graded_as: the rubric and contract it is graded by (grader.assignment.for_course, if not given)."""
    root = Path(root).resolve()
    graded_as = graded_as or for_course(assignment)
    gradebook = _gradebook_url(root)
    notebook_name = _assignment_notebook(gradebook, assignment)
    submitted = root / "submitted"
    if student:
        students = [student]
    else:
        students = sorted(p.parent.name for p in submitted.glob(f"*/{assignment}") if p.is_dir()) \
            if submitted.is_dir() else []
        if not students:
            raise CourseError(f"no collected submissions of {assignment!r} under {submitted}; "
                              f"run `nbgrader collect {assignment}` first.")
    submissions = [submission_folder(submitted / name / assignment, name) for name in students]
    tell = problems or _print_problem
    lock = threading.Lock()
    unrecorded: dict[str, list[str]] = {}
    """Per student, what could not be recorded in this run."""

    def on_graded(done, total, report):
        if not report.graded:  # nothing of it is a grade: the gradebook keeps what it had
            found = []
        else:
            with lock:
                found = unrecorded[report.student] = record(root, gradebook, assignment, notebook_name, report)
        report = _flagged(report, found)
        if progress:
            progress(done, total, report)
        for message in found:
            tell(report.student, _NOT_RECORDED + message)

    extra = {"limits": limits} if limits is not None else {}
    off_limits = [root / name for name in ("submitted", "autograded", "feedback", "source", "gradebook.db")]
    results = root / RESULTS_FOLDER / assignment
    reports = grade_submissions(submissions, jobs=jobs, wall_seconds=wall_seconds, results_dir=results,
                                only=only, progress=on_graded, off_limits=off_limits, run_one=run_one,
                                assignment=graded_as, **extra)
    ungraded = {report.student for report in reports if not report.graded}
    feedback_failures = {} if student in ungraded else generate_feedback(root, assignment, student)
    for name, message in feedback_failures.items():
        unrecorded.setdefault(name, []).append(message)
        tell(name, _NOT_RECORDED + message)
    reports = [_flagged(report, unrecorded.get(report.student, [])) for report in reports]
    for report in reports:
        _save_flags(results, report, tell)
    return reports


_NOT_RECORDED = "not recorded in full: "
"""Starts each flag of a recording step that failed (recomputed on every run, never kept)."""


def _print_problem(student: str, message: str) -> None:
    print(f"{student}: {message}", file=sys.stderr, flush=True)


def _flagged(report: Report, messages: list[str]) -> Report:
    """The report with this run's recording flags instead of those of an earlier run."""
    kept = tuple(flag for flag in report.flags if not flag.startswith(_NOT_RECORDED))
    return dataclasses.replace(report, flags=kept + tuple(_NOT_RECORDED + m for m in messages))


def _save_flags(results: Path, report: Report, tell) -> None:
    """The recording flags into the report saved by grader.grading (only when they changed, so
    that a rerun with nothing to add leaves the saved reports untouched); nothing else changes,
    so the saved report is still reused by the next run."""
    path = results / f"{report.student}.json"  # grader.grading._cache_path
    try:
        saved = json.loads(path.read_text())
    except FileNotFoundError:
        return  # nothing saved to update (grader.grading saves every report it makes)
    except (OSError, ValueError) as error:
        tell(report.student, f"{path} could not be read to add the flags above ({brief(error)})")
        return
    try:
        if saved["report"].get("flags", []) == list(report.flags):
            return
        saved["report"]["flags"] = list(report.flags)
        write_atomically(path, json.dumps(saved, indent=1))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        tell(report.student, f"{path} could not be updated with the flags above ({brief(error)})")



def _gradebook_url(root: Path) -> str:
    if not (root / CONFIG_FILE).is_file():
        raise CourseError(f"{root} has no {CONFIG_FILE}: run `grade --nbgrader` from the course folder "
                          "(where nbgrader's own commands run), or create one with `grade --new-course`.")
    return f"sqlite:///{root / 'gradebook.db'}"


def _assignment_notebook(gradebook: str, assignment: str) -> str:
    if not Path(gradebook.removeprefix("sqlite:///")).is_file():
        raise CourseError(f"no gradebook yet: run `nbgrader generate_assignment {assignment}` first.")
    os.environ["PATH"] = tool_environment()["PATH"]  # nbgrader runs `alembic` by name to upgrade a gradebook
    with Gradebook(gradebook) as book:
        try:
            found = book.find_assignment(assignment)
        except MissingEntry:
            raise CourseError(f"the gradebook has no assignment {assignment!r}: run "
                              f"`nbgrader generate_assignment {assignment}` first.") from None
        for notebook in found.notebooks:
            if any(cell.name.startswith(AUTOGRADER_PREFIX) for cell in notebook.grade_cells):
                return notebook.name
        raise CourseError(f"assignment {assignment!r} has no autograder cells of this grader (grade ids "
                          f"{AUTOGRADER_PREFIX}...); regenerate it from the source notebook of `grade --new-course`.")
