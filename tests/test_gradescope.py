"""The Gradescope autograder, as Gradescope runs it: the zip from `grade --gradescope-autograder`,
unpacked into $AUTOGRADER_ROOT/source, its setup.sh run (a fresh venv from the pinned
requirements), then run_autograder once per upload: a half-solved notebook, a buggy .py, and an
upload with no notebook. Each results.json is checked field by field against Gradescope's
specification and against `grade`'s verdicts for the same file."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from grader import grade
from grader.checks import all_specs
from grader.course_notebooks import notebook_code, solution_notebook, student_notebook
from grader.demo import MISTAKES, compose
from grader.runtime.leftovers import sweep
from test_course import PART1, with_solutions

pytestmark = [pytest.mark.slow, pytest.mark.ray]
SPECS = all_specs()
TEST_FIELDS = {"name", "number", "score", "max_score", "status", "output", "output_format", "visibility"}


@pytest.fixture(scope="module")
def autograder(tmp_path_factory):
    """$AUTOGRADER_ROOT as Gradescope lays it out, after setup.sh."""
    root = tmp_path_factory.mktemp("autograder")
    zip_path = root.parent / "autograder.zip"
    done = subprocess.run([sys.executable, "-m", "grader", "--gradescope-autograder", str(zip_path)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(zip_path) as archive:
        names = archive.namelist()
        assert {"setup.sh", "run_autograder", "requirements.txt"} <= set(names)
        archive.extractall(root / "source")
    for name in ("setup.sh", "run_autograder"):  # zipfile drops the mode bits; Gradescope keeps them
        (root / "source" / name).chmod(0o755)
    shutil.copyfile(root / "source" / "run_autograder", root / "run_autograder")
    (root / "run_autograder").chmod(0o755)
    env = _env(root)
    setup = subprocess.run(["bash", str(root / "source" / "setup.sh")], cwd=root / "source", env=env,
                           capture_output=True, text=True, timeout=1500)
    assert setup.returncode == 0, setup.stdout[-3000:] + setup.stderr[-3000:]
    return root


def _env(root: Path) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ACTOR_TREE", "NBGRADER", "RAY_ADDRESS", "VIRTUAL_ENV", "PYTHONPATH"))}
    env["AUTOGRADER_ROOT"] = str(root)
    return env


def _upload(autograder: Path, files: dict[str, str]) -> dict:
    """Put `files` in submission/, run run_autograder as Gradescope does, return results.json."""
    for folder in ("submission", "results"):
        shutil.rmtree(autograder / folder, ignore_errors=True)
        (autograder / folder).mkdir()
    for name, text in files.items():
        (autograder / "submission" / name).write_text(text)
    done = subprocess.run([str(autograder / "run_autograder")], cwd=autograder, env=_env(autograder),
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads((autograder / "results" / "results.json").read_text())


def _check_shape(results: dict) -> dict:
    """Every field Gradescope reads, with its type; {check id: test}."""
    assert results["stdout_visibility"] == "hidden"
    assert isinstance(results["execution_time"], int) and isinstance(results["output"], str) and results["output"]
    assert len(results["tests"]) == len(SPECS)
    tests = {}
    for number, (test, spec) in enumerate(zip(results["tests"], SPECS, strict=True), 1):
        assert TEST_FIELDS <= set(test), test
        assert test["name"] == f"{spec.id}: {spec.name}" and test["number"] == str(number)
        assert test["max_score"] == spec.points and test["status"] in ("passed", "failed")
        assert test["score"] == (spec.points if test["status"] == "passed" else 0)
        assert test["visibility"] == ("after_published" if spec.visibility == "hidden" else "visible")
        assert test["output_format"] == "text" and isinstance(test["output"], str)
        tests[spec.id] = test
    assert results["score"] == sum(t["score"] for t in results["tests"])
    return tests


def _grade_verdicts(path: Path) -> dict[str, str]:
    return {c.id: c.status for c in grade([str(path)])[0].checks}


def test_a_notebook_is_graded_as_grade_grades_it(autograder, tmp_path):
    notebook = tmp_path / "actor_tree.ipynb"
    notebook.write_text(student_notebook().read_text())
    with_solutions(notebook, PART1)
    tests = _check_shape(_upload(autograder, {"actor_tree.ipynb": notebook.read_text()}))
    assert {i: t["status"] for i, t in tests.items()} == _grade_verdicts(notebook)
    assert tests["supervisor.work_nonblocking"]["status"] == "passed"
    assert "not implemented yet" in tests["logging.log_and_get"]["output"]
    hidden = tests["logging.no_leaks"]
    assert hidden["status"] == "failed" and hidden["output"] == ("This hidden check did not pass. Its details are "
                                                                 "shown to your instructor only.")


def test_a_buggy_py_fails_exactly_its_check_with_the_feedback(autograder, tmp_path):
    source = compose(notebook_code(solution_notebook()), (MISTAKES / "sequential_experiments.py").read_text())
    (tmp_path / "mine.py").write_text(source)
    results = _upload(autograder, {"mine.py": source})
    tests = _check_shape(results)
    assert {i: t["status"] for i, t in tests.items()} == _grade_verdicts(tmp_path / "mine.py")
    assert [i for i, t in tests.items() if t["status"] == "failed"] == ["logging.parallel"]
    assert "one after another" in tests["logging.parallel"]["output"]
    assert results["score"] == 19 and results["output"].startswith("19 / 20 points.")


def test_an_upload_without_a_notebook_says_what_to_upload(autograder):
    results = _upload(autograder, {"README.txt": "my notebook is on my laptop"})
    tests = _check_shape(results)
    assert results["score"] == 0 and all(t["status"] == "failed" for t in tests.values())
    assert "holds no notebook (.ipynb) or .py file" in results["output"]
    assert "Upload your notebook, actor_tree.ipynb" in results["output"]


def test_a_time_out_keeps_what_was_graded(autograder):
    """Gradescope stops run_autograder at its time limit: results.json already holds every check
    graded by then, and says the others were not."""
    for folder in ("submission", "results"):
        shutil.rmtree(autograder / folder, ignore_errors=True)
        (autograder / folder).mkdir()
    (autograder / "submission" / "mine.py").write_text(notebook_code(solution_notebook()))
    results = autograder / "results" / "results.json"
    runner = subprocess.Popen([str(autograder / "run_autograder")], cwd=autograder, env=_env(autograder),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    passed = []
    try:
        deadline = time.monotonic() + 600
        while len(passed) < 3 and runner.poll() is None and time.monotonic() < deadline:
            time.sleep(0.5)
            if results.exists():
                passed = [t for t in json.loads(results.read_text())["tests"] if t["status"] == "passed"]
    finally:
        os.killpg(runner.pid, signal.SIGKILL)  # what Gradescope's time-out does
        runner.wait()
        sweep()  # the killed grader's Ray head and grading process, as the next run would
    assert len(passed) >= 3, "no partial results were written while grading"
    tests = _check_shape(json.loads(results.read_text()))
    graded = [t for t in tests.values() if t["status"] == "passed"]
    pending = [t for t in tests.values() if t["status"] == "failed"]
    assert len(graded) >= 3 and pending, tests
    assert all(t["output"].startswith("Not graded yet") or t["visibility"] != "visible" for t in pending), pending
