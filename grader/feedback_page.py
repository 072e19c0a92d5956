"""The feedback page a student reads first: a summary table of every check, on top of nbgrader's
own feedback notebook, made with nbgrader's extension points (a preprocessor and an nbconvert
template named in the course config), so that `grade --nbgrader` and plain
`nbgrader generate_feedback` give the same page.

CheckSummary reads each autograder cell (grade_id check-<id>): its points from the gradebook
(nbgrader's GetGrades has put them in the cell's metadata) and its name and feedback from the
output the cell left (CheckResult.cell_text: what `grade --nbgrader` writes and what
autograde_check prints or raises in plain `nbgrader autograde`). The template
(feedback_templates/grader_feedback) shows that table first, names the index links after the
checks, then renders the notebook as nbgrader does. A hidden check shows its points only: its
cell's output already holds nothing else.
"""

from __future__ import annotations

from pathlib import Path

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

from grader.records import HIDDEN_FEEDBACK, parse_cell_text
from grader.release import AUTOGRADER_PREFIX

TEMPLATES = Path(__file__).resolve().parent / "feedback_templates"
TEMPLATE_NAME = "grader_feedback"
TEMPLATE_FILE = "feedback_page.html.j2"
"""Not index.html.j2: it extends nbgrader's, which has that name (its folder is this one's base)."""
NOT_RUN = "This check's cell did not run (the notebook stopped before it, or the cell was deleted)."


class CheckSummary(Preprocessor):
    """Puts resources["grader"]["checks"]: [{anchor, name, score, points, passed, hidden,
    feedback}] in notebook order (the index), and ["summary"]: the same, missed checks first."""

    enabled = Bool(True)  # nbconvert's preprocessors are off unless enabled

    def preprocess(self, nb, resources):
        checks = []
        for cell in nb.cells:
            nbgrader = cell.get("metadata", {}).get("nbgrader", {})
            grade_id = str(nbgrader.get("grade_id", ""))
            if not (nbgrader.get("grade") and not nbgrader.get("solution") and grade_id.startswith(AUTOGRADER_PREFIX)):
                continue
            passed, name, feedback = parse_cell_text(_output_text(cell))
            checks.append({
                "anchor": grade_id, "name": name or _name_from_source(cell.source),
                "score": float(nbgrader.get("score") or 0.0), "points": float(nbgrader.get("points") or 0.0),
                "passed": passed, "hidden": feedback == HIDDEN_FEEDBACK,
                "feedback": "" if passed else (feedback or NOT_RUN),
            })
        resources.setdefault("grader", {})["checks"] = checks
        # The summary lists what was missed first: on a small screen too it is what shows.
        resources["grader"]["summary"] = sorted(checks, key=lambda check: check["passed"])
        return nb, resources


def _output_text(cell) -> str:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return str(output.get("evalue", ""))
        if output.get("output_type") == "stream" and output.get("name") == "stdout":
            return "".join(output.get("text", ""))
    return ""


def _name_from_source(source: str) -> str:
    """The check's name from the cell's first line, `# <name> (<points>)`."""
    first = source.splitlines()[0] if source else ""
    return first.lstrip("# ").rsplit(" (", 1)[0]
