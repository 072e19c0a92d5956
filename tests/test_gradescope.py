"""The Gradescope autograder, as Gradescope runs it: the zip from `grade --gradescope-autograder`,
unpacked into $AUTOGRADER_ROOT/source, its setup.sh run (a fresh venv from the pinned
requirements), then run_autograder once per upload: a half-solved notebook, a buggy .py, and an
upload with no notebook. Each results.json is checked field by field against Gradescope's
specification and against `grade`'s verdicts for the same file. A grader failure (no Ray head)
is reported as a failure, never as a grade; requirements.txt resolves for Python 3.10 (the
python3 of Gradescope's Ubuntu 22.04 base image) and for this Python, and on a real Python 3.10,
where this machine has one, setup.sh builds the venv and run_autograder grades as here."""

from __future__ import annotations

import glob
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
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from grader import grade
from grader.checks import all_specs
from grader.course_notebooks import notebook_code
from grader.demo import compose
from grader.gradescope import GRADESCOPE_PLATFORMS, target_environment
from grader.runtime.leftovers import sweep
from test_course import PART1, with_solutions
from conftest import ACTOR_TREE

pytestmark = [pytest.mark.slow, pytest.mark.ray]
SPECS = all_specs(ACTOR_TREE)
TEST_FIELDS = {"name", "number", "score", "max_score", "status", "output", "output_format", "visibility"}


@pytest.fixture(scope="module")
def autograder(tmp_path_factory):
    """$AUTOGRADER_ROOT as Gradescope lays it out, after setup.sh."""
    root = tmp_path_factory.mktemp("autograder")
    zip_path = root.parent / "autograder.zip"
    done = subprocess.run([sys.executable, "-m", "grader", "--gradescope-autograder", str(zip_path), "--assignment",
                           "actor_tree"],
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
    done, results = _run_autograder(autograder, files)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return results


def _run_autograder(autograder: Path, files: dict[str, str], **env) -> tuple[subprocess.CompletedProcess, dict]:
    for folder in ("submission", "results"):
        shutil.rmtree(autograder / folder, ignore_errors=True)
        (autograder / folder).mkdir()
    for name, text in files.items():
        (autograder / "submission" / name).write_text(text)
    done = subprocess.run([str(autograder / "run_autograder")], cwd=autograder, env={**_env(autograder), **env},
                          capture_output=True, text=True, timeout=900)
    return done, json.loads((autograder / "results" / "results.json").read_text())


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
    notebook.write_text(ACTOR_TREE.release.read_text())
    with_solutions(notebook, PART1)
    tests = _check_shape(_upload(autograder, {"actor_tree.ipynb": notebook.read_text()}))
    assert {i: t["status"] for i, t in tests.items()} == _grade_verdicts(notebook)
    assert tests["supervisor.work_nonblocking"]["status"] == "passed"
    assert "not implemented yet" in tests["logging.log_and_get"]["output"]
    hidden = tests["logging.no_leaks"]
    assert hidden["status"] == "failed" and hidden["output"] == ("This hidden check did not pass. Its details are "
                                                                 "shown to your instructor only.")


def test_a_buggy_py_fails_exactly_its_check_with_the_feedback(autograder, tmp_path):
    source = compose(notebook_code(ACTOR_TREE.source), (ACTOR_TREE.mistakes / "sequential_experiments.py").read_text())
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
    (autograder / "submission" / "mine.py").write_text(notebook_code(ACTOR_TREE.source))
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


def test_a_grader_failure_is_reported_as_a_failure_never_as_a_grade(autograder):
    """No Ray head can start (GRADER_RAY_START_TIMEOUT=0): run_autograder exits non-zero (Gradescope
    shows the autograder failed), and results.json says that grading failed and that the instructor
    has been told; no check passed, and nothing in it reads as points."""
    done, results = _run_autograder(autograder, {"mine.py": notebook_code(ACTOR_TREE.source)},
                                    GRADER_RAY_START_TIMEOUT="0")
    assert done.returncode != 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "GRADER FAILURE, not a grade" in done.stdout and "could not start Ray" in done.stdout
    output = results["output"]
    assert output.startswith("GRADING FAILED") and "could not start Ray" in output
    assert "not your grade" in output and "instructor has been told" in output
    assert "points" not in output and "/ 20" not in output
    assert results["extra_data"]["graded"] is False and "could not start Ray" in results["extra_data"]["grader_failure"]
    assert results["score"] == 0  # the placeholder Gradescope's format requires; no test carries points
    tests = results["tests"]
    assert not [t for t in tests if t["status"] != "failed"], tests
    assert not [t for t in tests if "score" in t or "max_score" in t], tests
    assert tests[0]["visibility"] == "visible" and tests[0]["output"] == output
    checks, staff = tests[1:-1], tests[-1]
    assert [t["name"] for t in checks] == [f"{spec.id}: {spec.name}" for spec in SPECS]
    assert all(t["output"].startswith("Not graded: the grader failed: the grader could not start Ray")
               and "instructor has been told" in t["output"] for t in checks), checks
    assert staff["visibility"] == "hidden" and "could not start Ray" in staff["output"]


def _interpreter(version: str) -> str | None:
    """A real Python `version` ("3.10") on this machine with venv and ensurepip (so that setup.sh
    never reaches for apt-get), else None: this one, one on PATH, or one of pyenv's."""
    if "%d.%d" % sys.version_info[:2] == version:
        return sys.executable
    candidates = [shutil.which(f"python{version}"), f"/usr/bin/python{version}", f"/usr/local/bin/python{version}",
                  *sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{version}.*/bin/python{version}")))]
    probe = "import ensurepip, sys, venv; print('%d.%d' % sys.version_info[:2])"
    for candidate in filter(None, candidates):
        try:
            done = subprocess.run([candidate, "-c", probe], capture_output=True, text=True, timeout=60)
        except OSError:
            continue
        if done.returncode == 0 and done.stdout.strip() == version:
            return os.path.realpath(candidate)
    return None


def _as_python3(folder: Path, script: str) -> Path:
    """A bin folder whose `python3` runs `script` (sh): what an image's PATH would find."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "python3").write_text(f"#!/bin/sh\n{script}\n")
    (folder / "python3").chmod(0o755)
    return folder


def _pins_for(requirements: Path, python: tuple) -> dict[str, str]:
    """{name: version} that requirements.txt installs on `python` (its markers evaluated there)."""
    environment, pins = target_environment(python), {}
    for line in requirements.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate(environment):
                assert canonicalize_name(requirement.name) not in pins, line
                pins[canonicalize_name(requirement.name)] = str(requirement.specifier).removeprefix("==")
    return pins


@pytest.mark.parametrize("python", [(3, 10), sys.version_info[:2]], ids=lambda python: "%d.%d" % python)
def test_requirements_resolve_for_gradescope_python_and_this_one(autograder, tmp_path, python):
    """Python 3.10 is the python3 of Gradescope's Ubuntu 22.04 base image, which the README names.
    Every pin has a wheel for that Python on that platform (pip --python-version, which checks wheel
    tags and Requires-Python but evaluates markers for the Python running pip, hence --no-deps),
    the pins hold every dependency that Python's markers ask for, and a real interpreter of that
    Python, where this machine has one, resolves requirements.txt as it is to exactly those pins."""
    dotted = "%d.%d" % python
    requirements = autograder / "source" / "requirements.txt"
    pins = _pins_for(requirements, python)
    assert {"ray", "numpy", "ipython", "pytest", "nbformat"} <= set(pins), pins
    pinned, report = tmp_path / "pinned.txt", tmp_path / "report.json"
    pinned.write_text("".join(f"{name}=={version}\n" for name, version in pins.items()))
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--no-deps",
                           "--quiet", "--report", str(report), "--python-version", dotted, "--implementation", "cp",
                           "--only-binary=:all:", *(f"--platform={platform}" for platform in GRADESCOPE_PLATFORMS),
                           "-r", str(pinned)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    installs = json.loads(report.read_text())["install"]
    assert {canonicalize_name(i["metadata"]["name"]): i["metadata"]["version"] for i in installs} == pins
    environment = target_environment(python)
    for item in installs:
        for line in item["metadata"].get("requires_dist", ()):
            dependency = Requirement(line)
            if dependency.marker is None or dependency.marker.evaluate({**environment, "extra": ""}):
                name = canonicalize_name(dependency.name)
                assert name in pins and dependency.specifier.contains(pins[name], prereleases=True), (
                    f"{item['metadata']['name']} needs {line} on Python {dotted}; pinned: {pins.get(name)}")
    interpreter = _interpreter(dotted)
    if interpreter:
        done = subprocess.run([sys.executable, "-m", "pip", "--python", interpreter, "install", "--dry-run",
                               "--ignore-installed", "--quiet", "--report", str(report), "-r", str(requirements)],
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
        resolved = json.loads(report.read_text())
        assert resolved["environment"]["python_version"] == dotted
        assert {canonicalize_name(i["metadata"]["name"]): i["metadata"]["version"]
                for i in resolved["install"]} == pins


def test_setup_refuses_a_python_older_than_3_10_and_names_the_image(autograder, tmp_path):
    old = _interpreter("3.9")
    fake = 'case "$*" in -V) echo "Python 3.9.18" ;; *version_info*) exit 1 ;; esac'  # imports "succeed"
    bin_dir = _as_python3(tmp_path / "bin", f'exec "{old}" "$@"' if old else fake)
    env = {**_env(tmp_path), "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    done = subprocess.run(["bash", str(autograder / "source" / "setup.sh")], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode != 0
    assert "this autograder needs Python 3.10 or newer" in done.stderr and "is Python 3.9" in done.stderr
    assert "choose the Ubuntu 22.04 base image" in done.stderr, done.stderr
    assert not (tmp_path / "venv").exists()


def test_on_python_3_10_setup_and_grading_work_as_here(autograder, tmp_path):
    """The zip as Gradescope's Ubuntu 22.04 image runs it: setup.sh with a python3 that is 3.10, then
    run_autograder on a buggy .py: the same verdicts as the test above on this Python."""
    if sys.version_info[:2] == (3, 10):
        pytest.skip("the autograder fixture already runs on Python 3.10")
    interpreter = _interpreter("3.10")
    if interpreter is None:
        pytest.skip("no Python 3.10 (with venv) on this machine")
    root = tmp_path / "autograder"
    shutil.copytree(autograder / "source", root / "source")
    shutil.copy2(autograder / "run_autograder", root / "run_autograder")
    bin_dir = _as_python3(tmp_path / "bin", f'exec "{interpreter}" "$@"')
    env = {**_env(root), "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    setup = subprocess.run(["bash", str(root / "source" / "setup.sh")], cwd=root / "source", env=env,
                           capture_output=True, text=True, timeout=1500)
    assert setup.returncode == 0, setup.stdout[-3000:] + setup.stderr[-3000:]
    version = subprocess.run([str(root / "venv" / "bin" / "python"), "-c", "import sys; print(sys.version_info[:2])"],
                             capture_output=True, text=True, timeout=60).stdout
    assert version.strip() == "(3, 10)"
    source = compose(notebook_code(ACTOR_TREE.source), (ACTOR_TREE.mistakes / "sequential_experiments.py").read_text())
    results = _upload(root, {"mine.py": source})
    tests = _check_shape(results)
    assert [i for i, t in tests.items() if t["status"] == "failed"] == ["logging.parallel"]
    assert results["score"] == 19 and results["output"].startswith("19 / 20 points.")
