"""The course notebooks: the student version is nbgrader's own output and never drifts from the
source; the source runs top to bottom in a real kernel, with its demos and without them."""

from __future__ import annotations

import json
import os
import tempfile

import nbformat
import pytest
from nbclient import NotebookClient

from grader.checks import all_specs
from grader.release import autograder_grade_id, generate, with_autograder_cells
from grader.runtime import STARTUP_DIR
from conftest import ACTOR_TREE


def _cells(path):
    notebook = json.loads(path.read_text())
    return [(c["cell_type"], "".join(c["source"]), c.get("metadata", {})) for c in notebook["cells"]]


@pytest.mark.nbgrader
def test_student_version_is_what_nbgrader_generates(tmp_path):
    fresh = generate(ACTOR_TREE.source, tmp_path / "actor_tree.ipynb")
    assert _cells(fresh) == _cells(ACTOR_TREE.release), \
        "assignments/ is out of date: run `python -m grader.release` and commit the result"


def test_autograder_cells_match_the_rubric():
    source = nbformat.read(ACTOR_TREE.source, as_version=4)
    assert nbformat.writes(with_autograder_cells(nbformat.read(ACTOR_TREE.source, as_version=4), ACTOR_TREE)) == \
        nbformat.writes(source), "run `python -m grader.release` and commit the result"
    cells = {c.metadata["nbgrader"]["grade_id"]: c for c in source.cells if c.metadata["nbgrader"].get("grade")}
    for spec in all_specs(ACTOR_TREE):
        cell = cells[autograder_grade_id(spec.id)]
        assert cell.metadata["nbgrader"]["points"] == spec.points and f'"{spec.id}"' in cell.source
        assert ("BEGIN HIDDEN TESTS" in cell.source) == (spec.visibility == "hidden")
    released = {c.metadata["nbgrader"]["grade_id"]: c for c in nbformat.read(ACTOR_TREE.release, as_version=4).cells}
    assert "no_leaks" not in released[autograder_grade_id("logging.no_leaks")].source


def test_student_version_has_no_solutions_and_every_stub_raises():
    text = ACTOR_TREE.release.read_text()
    assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
    code = [source for kind, source, _ in _cells(ACTOR_TREE.release) if kind == "code"]
    assert sum(source.count("raise NotImplementedError()") for source in code) == 13
    compile("\n".join(code), "student", "exec")


def test_demo_cells_are_tagged_and_guarded():
    demos = [c for c in nbformat.read(ACTOR_TREE.source, as_version=4).cells if "demo" in c.metadata.get("tags", [])]
    assert len(demos) >= 3
    for cell in demos:
        assert cell.source.lstrip().startswith("if not GRADING:"), cell.source[:80]


def _execute(*, grading: bool):
    """Run the source notebook in a real kernel. Ray's temp dir is a short private one: Ray's
    socket paths must stay under 107 characters, and the cluster must not be another's."""
    notebook = nbformat.read(ACTOR_TREE.source, as_version=4)
    with tempfile.TemporaryDirectory(prefix="nb-", dir="/tmp") as ray_tmp:
        env = dict(os.environ, PYTHONPATH=str(STARTUP_DIR), RAY_TMPDIR=ray_tmp)
        env.pop("ACTOR_TREE_GRADING", None)
        if grading:
            env["ACTOR_TREE_GRADING"] = "1"
        client = NotebookClient(notebook, timeout=600, kernel_name="python3",
                                resources={"metadata": {"path": ray_tmp}})
        client.execute(env=env)  # handed to the kernel's launcher: the kernel and its Ray cluster get it
    return notebook


def _outputs(notebook, grade_id):
    cell = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    return "".join(o.get("text", "") for o in cell.outputs)


@pytest.mark.slow
@pytest.mark.ray
def test_reference_runs_top_to_bottom_with_its_demos_self_check_and_autograder_cells():
    notebook = _execute(grading=False)
    assert "DONE" in _outputs(notebook, "demo-run-supervisor")
    assert "RUNNING" in _outputs(notebook, "demo-run-supervisor")
    assert _outputs(notebook, "demo-run-experiments")
    self_check = next(c for c in notebook.cells if c.metadata["nbgrader"]["grade_id"] == "self-check")
    table = "".join(o.get("data", {}).get("text/html", "") for o in self_check.outputs)
    assert "Self-check: 19 / 19 points on the visible checks" in table, table[:2000]
    for spec in all_specs(ACTOR_TREE):
        grade_id = autograder_grade_id(spec.id)
        cell = next(c for c in notebook.cells if c.metadata["nbgrader"]["grade_id"] == grade_id)
        assert cell.outputs and all(o.output_type == "stream" and o.name == "stdout" for o in cell.outputs), \
            cell.outputs
        assert _outputs(notebook, grade_id).startswith("passed")


@pytest.mark.ray
def test_reference_runs_in_grading_mode_without_demos():
    notebook = _execute(grading=True)
    assert _outputs(notebook, "demo-run-supervisor") == ""
