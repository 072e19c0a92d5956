"""The second assignment, "Ray multiprocessing pool" (solutions/pool/), installed beside the actor
tree: its release is nbgrader's student version of its source; its demo class (the reference, the
untouched stub and each typical mistake) gets the verdicts its files promise; and a class of it is
told from the actor tree's by its files, with no file of grader/ naming it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import nbformat
import pytest

from conftest import ray_processes_of_grader
from grader.assignment import find
from grader.course_notebooks import notebook_code
from grader.demo import expected_failures


pytestmark = [pytest.mark.slow, pytest.mark.ray]


def test_the_pool_release_is_the_student_version_of_its_source(tmp_path):
    from grader.release import generate, sync_source

    pool = find("pool")
    source = tmp_path / pool.notebook
    shutil.copyfile(pool.source, source)
    assert not sync_source(source, pool), "the source's autograder cells drifted: run python -m grader.release DIR"
    released = generate(pool.source, tmp_path / "release" / pool.notebook)
    cells = lambda path: [(c.cell_type, c.source) for c in nbformat.read(path, as_version=4).cells]  # noqa: E731
    assert cells(released) == cells(pool.release)
    assert "pending = [pool.apply_async(slow_square, (x,)) for x in numbers]" not in pool.release.read_text()


def test_the_pool_demo_class_gets_the_verdicts_its_files_promise(tmp_path):
    pool = find("pool")
    done = subprocess.run([sys.executable, "-m", "grader", "--demo", "--assignment", "pool", "--json",
                           "--jobs", "2"], capture_output=True, text=True, timeout=1200, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    reports = {r["student"]: r for r in json.loads(done.stdout)["submissions"]}
    failed = {student: {c["id"] for c in r["checks"] if c["status"] != "passed"} for student, r in reports.items()}
    mistakes = {path.stem.replace("_", "-"): expected_failures(path.read_text())
                for path in sorted(pool.mistakes.glob("*.py"))}
    assert len(mistakes) >= 5 and all(mistakes.values())
    every = {c["id"] for c in reports["reference"]["checks"]}
    assert failed == {"reference": set(), "untouched-stub": every, **mistakes}, json.dumps(failed, default=sorted)
    assert (reports["reference"]["score"], reports["reference"]["max_score"]) == (11, 11)
    async_results = next(c for c in reports["returns-async-results"]["checks"] if c["id"] == "pool.async_in_order")
    assert "Return the values" in async_results["feedback"], async_results
    order = next(c for c in reports["unordered-totals"]["checks"] if c["id"] == "pool.imap_totals")
    assert "in the wrong order (the calls finished in the order" in order["feedback"], order
    assert ray_processes_of_grader() == []


def test_with_two_installed_a_class_is_graded_as_the_assignment_its_files_tell(tmp_path):
    """No --assignment: the pool's notebook by its name, a renamed .py by the names it defines; a class
    of both assignments is refused before anything is graded."""
    pool, actor_tree = find("pool"), find("actor_tree")
    (tmp_path / "ada").mkdir()
    shutil.copyfile(pool.source, tmp_path / "ada" / pool.notebook)
    (tmp_path / "bo").mkdir()
    (tmp_path / "bo" / "my_work.py").write_text(notebook_code(pool.release))  # the stub, renamed
    done = subprocess.run([sys.executable, "-m", "grader", str(tmp_path / "ada"), str(tmp_path / "bo"), "--json",
                           "--jobs", "2"], capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    reports = {r["student"]: r for r in json.loads(done.stdout)["submissions"]}
    assert {s: (r["score"], r["max_score"]) for s, r in reports.items()} == {"ada": (11, 11), "bo": (0, 11)}
    (tmp_path / "cy").mkdir()
    shutil.copyfile(actor_tree.release, tmp_path / "cy" / actor_tree.notebook)
    mixed = subprocess.run([sys.executable, "-m", "grader", str(tmp_path / "ada"), str(tmp_path / "cy")],
                           capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert mixed.returncode == 2 and "these submissions are of several assignments" in mixed.stderr, mixed.stderr
    assert "grade each assignment's in a run of its own, with --assignment NAME" in mixed.stderr
