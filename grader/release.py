"""Make the student version of the assignment with nbgrader's own `generate_assignment`.

`python -m grader.release [NAME ...]` (every installed assignment without a name) first writes
the autograder cells of each source notebook (solutions/<name>/<name>.ipynb) from the rubric, one
grade cell per check with the check's points (hidden checks inside `### BEGIN HIDDEN TESTS`), then
rewrites the release version (assignments/<name>/) from it. The test suite fails on any drift of
either.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from grader.checks import all_specs
from grader.assignment import Assignment, find, installed
from grader.records import HIDDEN

AUTOGRADER_PREFIX = "check-"
"""grade_id of an autograder cell: the prefix, then the check id with "-" for "." (nbgrader
allows letters, digits, "_" and "-" only)."""
SECTION_ID = "autograder-md"
BEFORE_ID = "closing"
SECTION_TEXT = """---
## Autograder checks

Each cell below is one check of the final grade, worth the points it says. They run the same
checks as the self-check above and as your instructor's `grade` command, against the definitions
in this kernel; the first one runs them all (about half a minute), the others report. A failed
check shows why. The cells are locked: nbgrader puts them back as they are here when grading.
The last one is a hidden check: you see whether it passed, your instructor sees the details."""


def autograder_cells(assignment: Assignment | None = None) -> list:
    """The autograder section: a heading, then one locked grade cell per check of the rubric."""
    heading = nbformat.v4.new_markdown_cell(SECTION_TEXT)
    heading.id = SECTION_ID
    heading.metadata["nbgrader"] = _nbgrader_metadata(SECTION_ID, locked=True)
    cells = [heading]
    for spec in all_specs(assignment):
        call = f'autograde_check("{spec.id}")'
        if spec.visibility == HIDDEN:
            call = f"### BEGIN HIDDEN TESTS\n{call}\n### END HIDDEN TESTS"
        points = f"{spec.points:g} point" + ("" if spec.points == 1 else "s")
        hidden = ", hidden" if spec.visibility == HIDDEN else ""
        cell = nbformat.v4.new_code_cell(f"# {spec.name} ({points}{hidden})\n"
                                         f"from grader.notebook import autograde_check\n{call}")
        cell.id = autograder_grade_id(spec.id)
        cell.metadata["nbgrader"] = _nbgrader_metadata(cell.id, grade=True, locked=True,
                                                       points=spec.points)
        cells.append(cell)
    return cells


def autograder_grade_id(check_id: str) -> str:
    return AUTOGRADER_PREFIX + check_id.replace(".", "-")


def _nbgrader_metadata(grade_id: str, *, grade: bool = False, locked: bool = False, points: float = 0) -> dict:
    data = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3, "solution": False}
    if grade:
        data["points"] = points
    return data


def with_autograder_cells(notebook, assignment: Assignment | None = None):
    """`notebook` with its autograder section (re)written from the rubric, before the wrap-up."""
    def grade_id(cell):
        return (cell.metadata.get("nbgrader") or {}).get("grade_id", "")

    cells = [c for c in notebook.cells
             if grade_id(c) != SECTION_ID and not grade_id(c).startswith(AUTOGRADER_PREFIX)]
    at = next((i for i, c in enumerate(cells) if grade_id(c) == BEFORE_ID), len(cells))
    notebook.cells = cells[:at] + autograder_cells(assignment) + cells[at:]
    return notebook


def sync_source(source: Path, assignment: Assignment | None = None) -> bool:
    """Rewrite the source notebook's autograder section from the rubric; True if it changed."""
    notebook = nbformat.read(source, as_version=4)
    before = nbformat.writes(notebook)
    after = nbformat.writes(with_autograder_cells(notebook, assignment))
    if after == before:
        return False
    source.write_text(after if after.endswith("\n") else after + "\n")
    return True


def tool_environment() -> dict:
    """nbgrader runs `alembic` by name: find it beside this interpreter even in a venv that is not activated."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def generate(source: Path, output: Path) -> Path:
    """Run `nbgrader generate_assignment` on `source` (an assignment's source notebook, in the folder
    named after the assignment) in a throw-away course; write the result to `output`."""
    name = source.parent.name
    with tempfile.TemporaryDirectory(prefix="nbgrader-course-") as course:
        course = Path(course)
        (course / "source" / name).mkdir(parents=True)
        shutil.copyfile(source, course / "source" / name / source.name)
        (course / "nbgrader_config.py").write_text("c = get_config()\nc.CourseDirectory.course_id = 'release'\n")
        command = [sys.executable, "-m", "nbgrader", "generate_assignment", name, "--force",
                   f"--CourseDirectory.root={course}"]
        done = subprocess.run(command, cwd=course, capture_output=True, text=True, timeout=300, env=tool_environment())
        produced = course / "release" / name / source.name
        if done.returncode != 0 or not produced.exists():
            raise RuntimeError(f"nbgrader generate_assignment failed ({done.returncode}):\n"
                               f"{done.stdout}\n{done.stderr}")
        output.parent.mkdir(parents=True, exist_ok=True)
        notebook = json.loads(produced.read_text())
        output.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n")
    return output


def main(argv=None) -> int:
    names = sys.argv[1:] if argv is None else argv
    for assignment in [find(name) for name in names] or installed():
        if sync_source(assignment.source, assignment):
            print(f"rewrote the autograder cells of {assignment.source}")
        generate(assignment.source, assignment.release)
        print(f"wrote {assignment.release}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
