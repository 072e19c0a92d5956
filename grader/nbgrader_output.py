"""One graded student into nbgrader's own records: per-check scores in the gradebook, the notebook
in autograded/ (the student's cells and the autograder cells with this grader's results), and
feedback/ made by nbgrader's generate_feedback. Each step returns what it could not do, as a
message naming the file and what to do; none raises, so one student's bad file costs only them.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.utils import parse_utc

from grader.atomic import write_atomically
from grader.records import PASSED, Report
from grader.release import AUTOGRADER_PREFIX, autograder_grade_id, tool_environment

RESULTS_FOLDER = "grade_results"
"""Under the course root: one saved report per student and assignment (reruns skip them)."""
SUBMISSION_FILES = ("timestamp.txt", "submission_secret.txt")
"""What nbgrader's release_feedback needs beside the feedback, copied from the submission."""


def brief(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}".strip().splitlines()[0]
    return text if len(text) <= 300 else text[:297] + "..."


def record(root: Path, gradebook: str, assignment: str, notebook_name: str, report: Report) -> list[str]:
    """One student's report into the gradebook (per-check auto scores) and autograded/. Never
    raises: returns what could not be recorded, one message each, naming what to do about it."""
    folder = root / "submitted" / report.student / assignment
    again = f"`grade --nbgrader {assignment}` again"
    timestamp, problem = submission_time(folder, report.student, assignment)
    problems = [problem] if problem else []
    try:
        _record_scores(gradebook, assignment, report, timestamp, clear_time=bool(problem))
    except Exception as error:  # whatever the gradebook does, it costs this student only
        problems.append(f"the gradebook (gradebook.db) could not take this grade ({brief(error)}); the grade is "
                        f"saved in {RESULTS_FOLDER}/{assignment}/{report.student}.json: run {again} to record it "
                        "(nobody is graded again)")
    try:
        _write_autograded(root, assignment, notebook_name, report, folder)
    except Exception as error:  # idem: a folder that cannot be written, a source notebook gone
        problems.append(f"autograded/{report.student}/{assignment}/ could not be written ({brief(error)}), so "
                        f"nbgrader has no notebook to make this student's feedback from: fix that and run {again}")
    return problems


def _record_scores(gradebook: str, assignment: str, report: Report, timestamp, *, clear_time: bool) -> None:
    scores = {autograder_grade_id(check.id): check.score for check in report.checks}
    with Gradebook(gradebook) as book, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SQLAlchemy's autoflush chatter inside nbgrader's add_submission
        book.update_or_create_student(report.student)
        try:
            submission = book.find_submission(assignment, report.student)
        except MissingEntry:
            submission = book.add_submission(assignment, report.student)
        if timestamp or clear_time:
            submission.timestamp = timestamp
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                if grade.name in scores:
                    grade.auto_score = scores[grade.name]
                    grade.manual_score = None
                    grade.needs_manual_grade = False
        book.db.commit()


def submission_time(folder: Path, student: str, assignment: str):
    """(the time in nbgrader's timestamp.txt, or None; a message if the file holds no date).
    No file or an empty one is no time and no problem, as for nbgrader. A file that is not a date
    (nbgrader autograde stops the class on it) gives no time rather than a guessed one: the
    file's mtime is when it was collected or edited, not when the student submitted."""
    try:
        text = (folder / "timestamp.txt").read_bytes().decode("utf-8", errors="replace")
    except OSError:
        return None, ""
    if not text.strip():
        return None, ""
    try:
        return parse_utc(text.strip()), ""
    except Exception:  # dateutil's ParserError (a ValueError), OverflowError for long numbers, ...
        lines = [(number, line.strip()) for number, line in enumerate(text.splitlines(), 1) if line.strip()]
        number, line = lines[0]
        shown = line if len(line) <= 60 else line[:57] + "..."
        more = f", and {len(lines) - 1} more line(s): nbgrader writes one date" if len(lines) > 1 else ""
        return None, (f"timestamp.txt in submitted/{student}/{assignment}/ is not a date (line {number}: "
                      f"{shown!r}{more}); the grade was recorded without a submission time: fix the file "
                      f"and run `grade --nbgrader {assignment}` again")


def _write_autograded(root: Path, assignment: str, notebook_name: str, report: Report, folder: Path) -> None:
    """autograded/<student>/<assignment>/<notebook>.ipynb: the student's notebook with every
    autograder cell put back from the source (as nbgrader does) and showing this grader's result,
    for the formgrader and for `nbgrader generate_feedback`."""
    source = nbformat.read(root / "source" / assignment / f"{notebook_name}.ipynb", as_version=4)
    source_cells = {_grade_id(c): c for c in source.cells if _grade_id(c).startswith(AUTOGRADER_PREFIX)}
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
    write_atomically(target / f"{notebook_name}.ipynb", nbformat.writes(notebook))
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
    """The output nbgrader's autograde would have given the check's cell (grader.notebook.autograde_check)."""
    if check.status == PASSED:
        return nbformat.v4.new_output("stream", name="stdout", text=check.cell_text + "\n")
    return nbformat.v4.new_output("error", ename="CheckNotPassed", evalue=check.cell_text,
                                  traceback=[f"CheckNotPassed: {check.cell_text}"])


def generate_feedback(root: Path, assignment: str, student: str | None) -> dict[str, str]:
    """feedback/<student>/<assignment>/*.html by nbgrader itself, so that release_feedback and
    fetch_feedback deliver it (hidden test code is stripped there; outputs are already points-only).
    One nbgrader run for everyone (or `student`); if it fails, one run per student of autograded/,
    so that everybody else gets their feedback. Returns {student: why} for those left without."""
    failed = _feedback_failure(root, assignment, student)
    if not failed:
        return {}
    if student:
        return {student: failed}
    autograded = sorted(p.parent.name for p in (root / "autograded").glob(f"*/{assignment}") if p.is_dir())
    failures = {name: _feedback_failure(root, assignment, name) for name in autograded}
    return {name: why for name, why in failures.items() if why}


def _feedback_failure(root: Path, assignment: str, student: str | None) -> str:
    """Run nbgrader generate_feedback (for one student, or everyone); "" when it worked."""
    command = [sys.executable, "-m", "nbgrader", "generate_feedback", assignment, "--force"]
    if student:
        command.append(f"--student={student}")
    try:
        done = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=3600,
                              env=tool_environment())
    except subprocess.TimeoutExpired:
        why = "it ran for an hour and was stopped"
    except OSError as error:  # nbgrader cannot even start (the course folder gone, ...)
        why = brief(error)
    else:
        if done.returncode == 0:
            return ""
        why = _nbgrader_error(done.stderr) or f"exit {done.returncode}"
    where = f"feedback/{student}/{assignment}/" if student else "feedback/"
    return (f"no feedback in {where}: nbgrader generate_feedback failed ({why}); the grade is in the gradebook: "
            f"fix that and run `grade --nbgrader {assignment}` again")


def _nbgrader_error(stderr: str) -> str:
    """What failed, from nbgrader's log: the exception line of the last traceback it logged (the
    first line of that traceback indented less than its frames), else its last line."""
    lines = stderr.splitlines()
    text = next((line.strip() for line in reversed(lines) if line.strip()), "")
    header = max((i for i, line in enumerate(lines) if line.rstrip().endswith("Traceback (most recent call last):")),
                 default=None)
    if header is not None:
        block = []
        for line in lines[header + 1:]:
            if line.startswith("["):  # nbgrader's next log record
                break
            if line.strip():
                block.append((len(line) - len(line.lstrip()), line.strip()))
        if block:
            least = min(indent for indent, _ in block)
            text = next(line for indent, line in block if indent == least)
    return text if len(text) <= 300 else text[:297] + "..."
