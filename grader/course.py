"""The nbgrader course: set one up for this assignment, and grade its collected submissions into
nbgrader's own records (gradebook, autograded/, feedback/) with this project's isolated runner.

    grade --new-course COURSE_DIR      source/actor_tree/ from solutions/, nbgrader_config.py
    grade --nbgrader actor_tree        from the course folder, after `nbgrader collect`

Per check, the gradebook gets the score of the autograder cell of that check (grade_id
`check-<id>`), so `nbgrader export` and the formgrader show per-check scores, and plain
`nbgrader autograde` (which runs those cells in a kernel) writes the same cells.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
import threading
import warnings
from pathlib import Path

from grader.course_files import NOTEBOOK, solution_notebook
from grader.records import HIDDEN, PASSED, Report
from grader.release import AUTOGRADER_PREFIX as _GRADE_ID_PREFIX

CONFIG_FILE = "nbgrader_config.py"
SUBMISSION_FILES = ("timestamp.txt", "submission_secret.txt")
RESULTS_FOLDER = "grade_results"
"""Under the course root: one saved report per student and assignment (reruns skip them)."""

CONFIG_TEMPLATE = '''\
"""nbgrader configuration for the Ray actor-tree course, written by `grade --new-course`.

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
    from grader.runtime import with_fast_imports
except ImportError:  # the grader is not installed where nbgrader runs: slower, still correct
    pass
else:
    with_fast_imports(os.environ)
'''


class CourseError(ValueError):
    """The course folder cannot be used as asked (the command exits 2 with this message)."""


def new_course(root: Path, *, exchange: Path | None = None, course_id: str = "actor-tree",
               cell_timeout: int = 900) -> list[Path]:
    """Create an nbgrader course folder for this assignment; returns the files written."""
    root = Path(root).resolve()
    exchange = Path(exchange).resolve() if exchange else root / "exchange"
    config = root / CONFIG_FILE
    source = root / "source" / NOTEBOOK
    for existing in (config, source):
        if existing.exists():
            raise CourseError(f"{existing} already exists; choose a new folder (nothing was changed).")
    source.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(solution_notebook(), source)
    config.write_text(CONFIG_TEMPLATE.format(course_id=course_id, exchange=str(exchange), cell_timeout=cell_timeout))
    exchange.mkdir(parents=True, exist_ok=True)
    if exchange.stat().st_uid == os.getuid():
        exchange.chmod(0o777)  # nbgrader's exchange must be writable by every student
    return [config, source, exchange]


# -- grade --nbgrader ------------------------------------------------------------------------------

def grade_course(root: Path, assignment: str, *, student: str | None = None, jobs: int = 1,
                 wall_seconds: float = 900.0, progress=None, limits=None) -> list[Report]:
    """Grade every collected submission of `assignment` (or one student's) and record each in the
    gradebook and autograded/ as it finishes; then write feedback/ with nbgrader generate_feedback.
    Reports already saved under grade_results/ for unchanged submissions are reused."""
    from grader.discovery import submission_folder
    from grader.grading import grade_submissions

    root = Path(root).resolve()
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
    lock = threading.Lock()

    def record(done, total, report):
        with lock:
            _record(root, gradebook, assignment, notebook_name, report)
        if progress:
            progress(done, total, report)

    extra = {"limits": limits} if limits is not None else {}
    off_limits = [root / name for name in ("submitted", "autograded", "feedback", "source", "gradebook.db")]
    reports = grade_submissions(submissions, jobs=jobs, wall_seconds=wall_seconds,
                                results_dir=root / RESULTS_FOLDER / assignment, progress=record,
                                off_limits=off_limits, **extra)
    _generate_feedback(root, assignment, student)
    return reports


def _gradebook_url(root: Path) -> str:
    if not (root / CONFIG_FILE).is_file():
        raise CourseError(f"{root} has no {CONFIG_FILE}: run `grade --nbgrader` from the course folder "
                          "(where nbgrader's own commands run), or create one with `grade --new-course`.")
    return f"sqlite:///{root / 'gradebook.db'}"


def _assignment_notebook(gradebook: str, assignment: str) -> str:
    from nbgrader.api import Gradebook, MissingEntry

    from grader.release import tool_environment

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
            if any(cell.name.startswith(_GRADE_ID_PREFIX) for cell in notebook.grade_cells):
                return notebook.name
        raise CourseError(f"assignment {assignment!r} has no autograder cells of this grader (grade ids "
                          f"{_GRADE_ID_PREFIX}...); regenerate it from the source notebook of `grade --new-course`.")


def _record(root: Path, gradebook: str, assignment: str, notebook_name: str, report: Report) -> None:
    """One student's report into the gradebook (per-check auto scores) and autograded/."""
    from nbgrader.api import Gradebook, MissingEntry

    from grader.release import autograder_grade_id

    folder = root / "submitted" / report.student / assignment
    timestamp = _timestamp(folder)
    scores = {autograder_grade_id(check.id): check.score for check in report.checks}
    with Gradebook(gradebook) as book, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SQLAlchemy's autoflush chatter inside nbgrader's add_submission
        book.update_or_create_student(report.student)
        try:
            submission = book.find_submission(assignment, report.student)
        except MissingEntry:
            submission = book.add_submission(assignment, report.student)
        if timestamp:
            from nbgrader import utils

            submission.timestamp = utils.parse_utc(timestamp)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                if grade.name in scores:
                    grade.auto_score = scores[grade.name]
                    grade.manual_score = None
                    grade.needs_manual_grade = False
        book.db.commit()
    _write_autograded(root, assignment, notebook_name, report, folder)


def _timestamp(folder: Path) -> str:
    try:
        return (folder / "timestamp.txt").read_text().strip()
    except OSError:
        return ""


def _write_autograded(root: Path, assignment: str, notebook_name: str, report: Report, folder: Path) -> None:
    """autograded/<student>/<assignment>/<notebook>.ipynb: the student's notebook with every
    autograder cell put back from the source (as nbgrader does) and showing this grader's result,
    for the formgrader and for `nbgrader generate_feedback`."""
    import nbformat

    from grader.release import autograder_grade_id

    source = nbformat.read(root / "source" / assignment / f"{notebook_name}.ipynb", as_version=4)
    source_cells = {_grade_id(c): c for c in source.cells if _grade_id(c).startswith(_GRADE_ID_PREFIX)}
    known = {_grade_id(c): c for c in source.cells if _grade_id(c)}
    student = _student_notebook(folder, notebook_name, report)
    notebook = nbformat.v4.new_notebook(metadata=copy.deepcopy(source.metadata))
    notebook.cells = _student_cells(student, known, source_cells) if student is not None else [
        nbformat.v4.new_markdown_cell("**No gradable notebook was submitted.** " + (report.problem or ""))]
    by_check = {autograder_grade_id(c.id): c for c in report.checks}
    for grade_id, source_cell in source_cells.items():
        cell = copy.deepcopy(source_cell)
        cell.execution_count = None
        cell.outputs = [_output(by_check[grade_id])] if grade_id in by_check else []
        notebook.cells.append(cell)
    if report.notes or report.problem:
        lines = [f"- {line}" for line in ([report.problem] if report.problem else []) + list(report.notes)]
        notebook.cells.insert(0, nbformat.v4.new_markdown_cell("**Grading notes**\n\n" + "\n".join(lines)))
    target = root / "autograded" / report.student / assignment
    target.mkdir(parents=True, exist_ok=True)
    temporary = target / f".{notebook_name}.ipynb.tmp"
    temporary.write_text(nbformat.writes(notebook))
    os.replace(temporary, target / f"{notebook_name}.ipynb")
    for kept in SUBMISSION_FILES:  # nbgrader's release_feedback needs them beside the feedback
        if (folder / kept).is_file():
            shutil.copyfile(folder / kept, target / kept)


def _grade_id(cell) -> str:
    return str((cell.get("metadata", {}).get("nbgrader") or {}).get("grade_id", ""))


def _student_notebook(folder: Path, notebook_name: str, report: Report) -> list | None:
    """The cells of the submitted notebook, if it is one; None when it is missing or unreadable."""
    path = Path(report.submission) if report.submission.endswith(".ipynb") else folder / f"{notebook_name}.ipynb"
    try:
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells")
    except (OSError, ValueError, UnicodeDecodeError, AttributeError):
        return None
    return [c for c in cells if isinstance(c, dict)] if isinstance(cells, list) else None


def _student_cells(cells: list, known: dict, autograder: dict) -> list:
    """The student's cells rebuilt clean (no outputs: this grader does not run the notebook), so
    that whatever the student did to them, nbgrader's feedback step can read them: nbgrader
    metadata only on cells the gradebook knows, once each (the last copy, as nbgrader keeps),
    autograder cells dropped (they come back from the source)."""
    import nbformat

    rebuilt, owner = [], {}
    for cell in cells:
        text = cell.get("source", "")
        text = "".join(map(str, text)) if isinstance(text, list) else str(text)
        kind = cell.get("cell_type")
        new = (nbformat.v4.new_code_cell(text) if kind == "code" else nbformat.v4.new_raw_cell(text)
               if kind == "raw" else nbformat.v4.new_markdown_cell(text))
        grade_id = _grade_id(cell) if isinstance(cell.get("metadata"), dict) else ""
        if grade_id in autograder:
            continue
        if grade_id in known and known[grade_id].cell_type == new.cell_type:
            owner[grade_id] = len(rebuilt)
            new.metadata["nbgrader"] = copy.deepcopy(known[grade_id].metadata["nbgrader"])
        rebuilt.append(new)
    for index, cell in enumerate(rebuilt):
        grade_id = _grade_id(cell)
        if grade_id and owner.get(grade_id) != index:
            cell.metadata.pop("nbgrader")
    return rebuilt


def _output(check) -> dict:
    import nbformat

    points = f"{check.score:g}/{check.max_score:g}"
    if check.status == PASSED:
        return nbformat.v4.new_output("stream", name="stdout", text=f"passed ({points}): {check.name}\n")
    from grader.notebook import HIDDEN_FAILED

    feedback = HIDDEN_FAILED if check.visibility == HIDDEN else check.feedback
    message = f"{check.id} not passed ({points}): {check.name}\n{feedback}"
    return nbformat.v4.new_output("error", ename="CheckNotPassed", evalue=message,
                                  traceback=[f"CheckNotPassed: {message}"])


def _feedback_one(root: Path, assignment: str, student: str) -> bool:
    try:
        _generate_feedback(root, assignment, student)
        return True
    except CourseError:
        return False


def _generate_feedback(root: Path, assignment: str, student: str | None) -> None:
    """feedback/<student>/<assignment>/*.html by nbgrader itself, so that release_feedback and
    fetch_feedback deliver it (hidden test code is stripped there; outputs are already points-only)."""
    from grader.release import tool_environment

    command = [sys.executable, "-m", "nbgrader", "generate_feedback", assignment, "--force"]
    if student:
        command.append(f"--student={student}")
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=3600, env=tool_environment())
    if done.returncode != 0 and not student:  # find who, and give everybody else their feedback
        failed = [name for name in sorted(p.name for p in (root / "autograded").iterdir())
                  if (root / "autograded" / name / assignment).is_dir() and not _feedback_one(root, assignment, name)]
        if not failed:
            return
        raise CourseError(f"nbgrader generate_feedback failed for {', '.join(failed)}; the grades are in the "
                          f"gradebook, every other student has feedback.\n{done.stderr[-3000:]}")
    if done.returncode != 0:
        raise CourseError(f"nbgrader generate_feedback failed (exit {done.returncode}); the grades are in the "
                          f"gradebook, rerun to retry the feedback:\n{done.stderr[-3000:]}")
