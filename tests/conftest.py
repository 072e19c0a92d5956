"""Shared fixtures. Grading costs ~20 s of Ray work per submission, so the whole corpus is
graded once, in one batch (several at a time), and the tests then read its reports."""

from __future__ import annotations

import ast
import dataclasses
import glob
import json
import os
import sys
import tempfile
from pathlib import Path

import nbformat
import psutil
import pytest

from grader.course_files import notebook_code, solution_notebook, student_notebook
from grader.demo import MISTAKES, compose

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus"


PART1_NAMES = {"STATES", "Model", "model_factory", "lr_func", "cl_func", "nn_func", "DEFAULT_MODELS", "Worker",
               "Supervisor", "run_supervisor"}
PART3_NAMES = {"LoggingActor", "run_experiment", "run_experiments"}


def override_files() -> list[Path]:
    return sorted(CORPUS.glob("*.py")) + sorted(MISTAKES.glob("*.py"))


def checks_it_can_affect(override: str) -> tuple[str, ...]:
    """The checks an override can change: an override that only redefines Part 1 names leaves
    Part 3 as the reference's (graded in full as reference-notebook), and the other way round.
    Anything else (top-level code, other names) can affect every check: () means all."""
    from grader.checks import all_specs

    names, other = set(), False
    for node in ast.parse(override).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) for t in node.targets):
            names.update(t.id for t in node.targets)
        elif not (isinstance(node, (ast.Import, ast.ImportFrom))
                  or isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
            other = True
    prefix = ("supervisor." if names and names <= PART1_NAMES else "logging."
              if names and names <= PART3_NAMES else "")
    if other or not prefix:
        return ()
    return tuple(s.id for s in all_specs() if s.id.startswith(prefix))


def _notebook_with(cells_edit) -> str:
    notebook = nbformat.read(solution_notebook(), as_version=4)
    cells_edit(notebook.cells)
    return nbformat.writes(notebook)


def _break_logging_cell(cells):
    cell = next(c for c in cells if c.cell_type == "code" and "class LoggingActor" in c.source)
    cell.source = cell.source.replace("def log(self, index, message)", "def log(self, index, message", 1)


def _add_endless_cell(cells):
    cells.insert(3, nbformat.v4.new_code_cell("while True:\n    pass"))


def _add_blocked_cell(cells):
    cells.insert(3, nbformat.v4.new_code_cell(
        "@ray.remote\nclass Stuck:\n    def wait(self):\n        time.sleep(10**6)\n\n"
        "ray.get(Stuck.remote().wait.remote())  # blocks in Ray: a signal cannot interrupt it"))


def _retype_worker_cell(cells):
    cell = next(c for c in cells if c.cell_type == "code" and "class Worker" in c.source)
    cells[cells.index(cell)] = nbformat.v4.new_markdown_cell(cell.source)


def build_corpus(target: Path) -> dict[str, Path]:
    """Every corpus submission as a student folder; returns {student: file}."""
    reference = notebook_code(solution_notebook())
    files: dict[str, Path] = {}

    def put(student: str, name: str, text: str) -> None:
        folder = target / student / "actor_tree"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
        files[student] = folder / name

    put("reference-notebook", "actor_tree.ipynb", solution_notebook().read_text())
    put("untouched-stub", "actor_tree.ipynb", student_notebook().read_text())
    for override in override_files():
        put(override.stem, "actor_tree.py", compose(reference, override.read_text()))
    put("syntax-error-py", "actor_tree.py", reference + "\ndef broken(:\n    pass\n")
    put("empty-py", "actor_tree.py", "")
    put("not-json-notebook", "actor_tree.ipynb", '{"cells": [\n  {"cell_type": "code",\n   oops\n')
    put("syntax-error-cell", "actor_tree.ipynb", _notebook_with(_break_logging_cell))
    put("endless-cell", "actor_tree.ipynb", _notebook_with(_add_endless_cell))
    put("blocked-ray-get-cell", "actor_tree.ipynb", _notebook_with(_add_blocked_cell))
    put("empty-notebook", "actor_tree.ipynb", "")
    put("retyped-cell", "actor_tree.ipynb", _notebook_with(_retype_worker_cell))
    return files


def ray_processes_of_grader() -> list[str]:
    """Processes started by a grading run of this installation (their command lines name a grade-*
    temp dir and this environment: another checkout's test run on the machine is not ours)."""
    left = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        cmdline = " ".join(proc.info["cmdline"] or ())
        if "/grade-" in cmdline and sys.prefix in cmdline and ("ray" in cmdline or "grader.session" in cmdline):
            left.append(f"{proc.info['pid']}: {cmdline[:120]}")
    return left


@pytest.fixture(scope="session")
def graded(tmp_path_factory):
    from grader.discovery import discover
    from grader.grading import grade_submissions

    target = tmp_path_factory.mktemp("class")
    before = set(glob.glob(f"{tempfile.gettempdir()}/grade-*"))
    files = build_corpus(target)
    # GRADER_TEST_RESULTS=DIR keeps reports between runs while developing (unchanged submissions are
    # not graded again); CI leaves it unset and grades everything.
    # Each override is graded on the checks it can affect (a third less Ray work for the suite).
    selected = {path.stem: checks_it_can_affect(path.read_text()) for path in override_files()}
    submissions = [dataclasses.replace(s, checks=selected.get(s.student, ())) for s in discover([str(target)])]
    reports = grade_submissions(submissions, jobs=3, wall_seconds=300,
                                results_dir=os.environ.get("GRADER_TEST_RESULTS"))
    by_student = {r.student: r for r in reports}
    by_student["temp dirs left"] = sorted(set(glob.glob(f"{tempfile.gettempdir()}/grade-*")) - before)
    assert set(by_student) == set(files) | {"temp dirs left"}, "every corpus submission has exactly one report"
    return by_student


def failed_ids(report) -> set[str]:
    return {c.id for c in report.checks if c.status != "passed"}


def dump(report) -> str:
    return json.dumps(report.to_json(), indent=1)[:6000]


os.environ.setdefault("PYTHONUNBUFFERED", "1")


def grader_failures(reports) -> list[str]:
    """Reports where the grader itself failed (a bug of ours, whatever the submission did)."""
    return [r.student for r in reports
            if "grader error" in r.flags or any(c.feedback.startswith(("The grader itself failed", "The grader failed"))
                                                or "please tell your instructor" in c.feedback for c in r.checks)]
