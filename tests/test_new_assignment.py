"""An assignment is data: a small one is written here, in a temporary folder (a notebook with
nbgrader solution regions, a one-check rubric beside it, its record), released with nbgrader and
graded through the real `grade` command, with no file of grader/ touched."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import nbformat
import pytest

from conftest import ray_processes_of_grader

RECORD = {
    "title": "Ray counter",
    "rubric": ["counter_checks"],
    "contract": [{"name": "Counter", "kind": "actor class",
                  "signature": "class Counter: __init__(self); add(self, amount)",
                  "calls": [["__init__", [], {}], ["add", [1], {}]]}],
}

RUBRIC = '''
from grader.checks import CheckFailed, check
from grader.checks.calls import get, start


@check("counter.adds", "Counter.add(n) adds n and returns the running total", points=2, needs=("Counter",))
def check_adds(sub):
    counter = start("Counter.remote()", sub.Counter.remote)
    totals = [get(counter.add.remote(n), timeout=30, what=f"Counter.add({n})") for n in (1, 2, 3)]
    if totals != [1, 3, 6]:
        raise CheckFailed(f"add(1), add(2), add(3) returned {totals}; expected [1, 3, 6]. "
                          "Rule: an actor keeps its state between calls; keep the total in self.")
'''

SOURCE = '''
import ray


@ray.remote
class Counter:
    def __init__(self):
        ### BEGIN SOLUTION
        self.total = 0
        ### END SOLUTION

    def add(self, amount):
        ### BEGIN SOLUTION
        self.total += amount
        return self.total
        ### END SOLUTION
'''


def _write_assignment(root):
    """solutions/counter/ (source, rubric, record), then assignments/counter/ by `python -m grader.release`."""
    folder = root / "solutions" / "counter"
    folder.mkdir(parents=True)
    (folder / "assignment.json").write_text(json.dumps(RECORD, indent=1))
    (folder / "counter_checks.py").write_text(RUBRIC)
    notebook = nbformat.v4.new_notebook()
    intro = nbformat.v4.new_markdown_cell("# A Ray counter\nWrite the actor.")
    code = nbformat.v4.new_code_cell(textwrap.dedent(SOURCE).strip())
    for cell, grade_id in ((intro, "intro"), (code, "counter")):
        cell.metadata["nbgrader"] = {"grade": False, "grade_id": grade_id, "locked": grade_id == "intro",
                                     "schema_version": 3, "solution": grade_id == "counter"}
    notebook.cells = [intro, code]
    nbformat.write(notebook, folder / "counter.ipynb")
    released = subprocess.run([sys.executable, "-m", "grader.release", str(folder)], capture_output=True, text=True,
                              timeout=600, cwd=root)
    assert released.returncode == 0, released.stderr[-3000:]
    return folder


@pytest.mark.slow
def test_a_new_assignment_folder_is_graded_by_the_grade_command(tmp_path):
    folder = _write_assignment(tmp_path)
    source, release = folder / "counter.ipynb", tmp_path / "assignments" / "counter" / "counter.ipynb"
    cells = [c for c in nbformat.read(source, as_version=4).cells
             if (c.metadata.get("nbgrader") or {}).get("grade_id") == "check-counter-adds"]
    assert len(cells) == 1 and 'autograde_check("counter.adds")' in cells[0].source  # the release wrote it
    assert "raise NotImplementedError" in release.read_text() and "self.total = 0" not in release.read_text()
    (tmp_path / "class" / "ada").mkdir(parents=True)
    (tmp_path / "class" / "ada" / "counter.ipynb").write_text(source.read_text())
    (tmp_path / "class" / "bo").mkdir()
    (tmp_path / "class" / "bo" / "counter.ipynb").write_text(release.read_text())

    done = subprocess.run([sys.executable, "-m", "grader", "class", "--assignment", str(folder), "--json",
                           "--jobs", "2"], capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    reports = {r["student"]: r for r in json.loads(done.stdout)["submissions"]}
    assert {s: (r["score"], r["max_score"]) for s, r in reports.items()} == {"ada": (2, 2), "bo": (0, 2)}
    assert [c["id"] for c in reports["ada"]["checks"]] == ["counter.adds"]
    assert "is not implemented yet (it still raises NotImplementedError)" in reports["bo"]["checks"][0]["feedback"]
    assert ray_processes_of_grader() == []

    unnamed = subprocess.run([sys.executable, "-m", "grader", "class", "--assignment", "counter"],
                             capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert unnamed.returncode == 2
    assert "no assignment 'counter' is installed (installed: actor_tree, pool)" in unnamed.stderr


def _nbgrader(*command, cwd):
    env = {k: v for k, v in os.environ.items() if k != "ACTOR_TREE_GRADING"}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    done = subprocess.run(list(command), cwd=cwd, capture_output=True, text=True, env=env, timeout=900)
    assert done.returncode == 0, f"{' '.join(command)}:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.mark.slow
@pytest.mark.nbgrader
def test_a_new_assignment_folder_goes_through_the_nbgrader_cycle_and_the_kit(tmp_path):
    folder = _write_assignment(tmp_path)
    course, exchange = tmp_path / "course", tmp_path / "exchange"
    grade = [sys.executable, "-m", "grader"]
    made = _nbgrader(*grade, "--new-course", str(course), "--exchange", str(exchange), "--course-id", "counter-e2e",
                     "--assignment", str(folder), cwd=tmp_path)
    assert "nbgrader generate_assignment counter" in made.stdout
    _nbgrader("nbgrader", "generate_assignment", "counter", cwd=course)
    _nbgrader("nbgrader", "release_assignment", "counter", cwd=course)
    student_args = ["--course=counter-e2e", f"--Exchange.root={exchange}"]
    answer = textwrap.dedent(SOURCE).strip()
    for student, solved in (("ada", True), ("bo", False)):
        home = tmp_path / "students" / student
        home.mkdir(parents=True)
        mine = [*student_args, f"--student={student}", f"--Exchange.cache={home / '.cache'}"]
        _nbgrader("nbgrader", "fetch_assignment", "counter", *mine, cwd=home)
        if solved:
            notebook = nbformat.read(home / "counter" / "counter.ipynb", as_version=4)
            for cell in notebook.cells:
                if (cell.metadata.get("nbgrader") or {}).get("solution"):
                    cell.source = answer
            nbformat.write(notebook, home / "counter" / "counter.ipynb")
        _nbgrader("nbgrader", "submit", "counter", *mine, cwd=home)
    _nbgrader("nbgrader", "collect", "counter", "--ExchangeCollect.check_owner=False", cwd=course)
    graded = _nbgrader(*grade, "--nbgrader", "counter", "--assignment", str(folder), "--jobs", "2", cwd=course)
    assert re.search(r"ada\s+2 / 2", graded.stdout) and re.search(r"bo\s+0 / 2", graded.stdout), graded.stdout
    _nbgrader("nbgrader", "export", "--to=grades.csv", cwd=course)
    rows = {row["student_id"]: float(row["score"]) for row in csv.DictReader((course / "grades.csv").open())}
    assert rows == {"ada": 2.0, "bo": 0.0}
    assert (course / "feedback" / "ada" / "counter" / "counter.html").is_file()
    assert ray_processes_of_grader() == []

    # The students' kit of this assignment: its record, its rubric, the release notebook; no answer.
    _nbgrader(*grade, "--student-kit", str(tmp_path / "kit"), "--assignment", str(folder), cwd=tmp_path)
    wheel, = (tmp_path / "kit").glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(tmp_path / "site")
        texts = {name: archive.read(name).decode() for name in archive.namelist()}
    assert not [name for name, text in texts.items() if "self.total = 0" in text]
    program = ("import json; from grader.checks import all_specs; from grader.assignment import find; "
               "print(json.dumps([find().name, [s.id for s in all_specs()]]))")
    run = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120,
                         cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(tmp_path / "site")})
    assert run.returncode == 0, run.stderr[-2000:]
    assert json.loads(run.stdout) == ["counter", ["counter.adds"]]
