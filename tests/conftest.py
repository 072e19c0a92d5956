"""Shared fixtures. Grading costs ~20 s of Ray work per submission, so the corpus is graded once,
in one batch (several at a time), and the tests then read its reports (`graded`).

Only the students the selected tests read are graded: a test names them with
`@pytest.mark.students("reference-notebook", ...)` (on the test, a `pytest.param`, or in a module's
`pytestmark`); a test that reads `graded` without naming any gets the whole corpus. `pytest` runs
every test, so it grades the whole corpus, in one batch, as before; `pytest -k async_logger` grades one."""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import glob
import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat
import psutil
import pytest

from grader.course_notebooks import notebook_code
from grader.assignment import find, installed
from grader.demo import compose
from grader.runtime.owned import processes_naming

ACTOR_TREE = find("actor_tree")
"""The assignment the corpus, the hostile and forging cases and most tests are about."""

REQUIRED_IDS = (
    "supervisor.actor_classes",
    "supervisor.one_worker_per_model",
    "supervisor.work_nonblocking",
    "supervisor.trains_each_model",
    "supervisor.state_values",
    "supervisor.terminate_kills_workers",
    "supervisor.run_supervisor",
    "supervisor.running_visible",
    "logging.actor_class",
    "logging.log_and_get",
    "logging.run_experiment_messages",
    "logging.run_experiments_complete",
    "logging.ordering_per_worker",
    "logging.parallel",
    "logging.no_leaks",
)
"""The actor tree's check ids, as the contract (section 2) requires them, in its order: the tests
hold the rubric (assignment.json and its modules) to it."""

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus"


PART1_NAMES = {"STATES", "Model", "model_factory", "lr_func", "cl_func", "nn_func", "DEFAULT_MODELS", "Worker",
               "Supervisor", "run_supervisor"}
PART3_NAMES = {"LoggingActor", "run_experiment", "run_experiments"}


def override_files() -> list[Path]:
    return sorted(CORPUS.glob("*.py")) + sorted(ACTOR_TREE.mistakes.glob("*.py"))


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
    return tuple(s.id for s in all_specs(ACTOR_TREE) if s.id.startswith(prefix))


def _notebook_with(cells_edit) -> str:
    notebook = nbformat.read(ACTOR_TREE.source, as_version=4)
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


BUILT_IN = {
    "reference-notebook": ("actor_tree.ipynb", lambda reference: ACTOR_TREE.source.read_text()),
    "untouched-stub": ("actor_tree.ipynb", lambda reference: ACTOR_TREE.release.read_text()),
    "syntax-error-py": ("actor_tree.py", lambda reference: reference + "\ndef broken(:\n    pass\n"),
    "empty-py": ("actor_tree.py", lambda reference: ""),
    "not-json-notebook": ("actor_tree.ipynb", lambda reference: '{"cells": [\n  {"cell_type": "code",\n   oops\n'),
    "syntax-error-cell": ("actor_tree.ipynb", lambda reference: _notebook_with(_break_logging_cell)),
    "endless-cell": ("actor_tree.ipynb", lambda reference: _notebook_with(_add_endless_cell)),
    "blocked-ray-get-cell": ("actor_tree.ipynb", lambda reference: _notebook_with(_add_blocked_cell)),
    "empty-notebook": ("actor_tree.ipynb", lambda reference: ""),
    "retyped-cell": ("actor_tree.ipynb", lambda reference: _notebook_with(_retype_worker_cell)),
}
"""The corpus submissions that are not an override file: {student: (file name, text from the reference code)}."""


def collected_submission(root: Path, student: str, solved: bool,
                         timestamp: str = "2024-05-01 10:00:00.000000 UTC") -> None:
    """What `nbgrader submit` + `collect` leave in the course at `root` for actor_tree: the released
    notebook (answered from the course's source version, or not) and timestamp.txt (as nbgrader
    writes it)."""
    notebook = nbformat.read(root / "release" / "actor_tree" / "actor_tree.ipynb", as_version=4)
    if solved:
        answers = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source
                   for c in nbformat.read(root / "source" / "actor_tree" / "actor_tree.ipynb", as_version=4).cells}
        for cell in notebook.cells:
            if cell.metadata.get("nbgrader", {}).get("solution"):
                cell.source = answers[cell.metadata["nbgrader"]["grade_id"]]
    folder = root / "submitted" / student / "actor_tree"
    folder.mkdir(parents=True)
    nbformat.write(notebook, folder / "actor_tree.ipynb")
    (folder / "timestamp.txt").write_text(timestamp)
    (folder / "submission_secret.txt").write_text(f"secret-of-{student}")


def saved_reports(folder: Path) -> list[Path]:
    """The reports saved in a --results folder: not the .tmp-* file a grader writes before renaming
    it into place (pathlib's glob matches names that start with a dot)."""
    return sorted(p for p in Path(folder).glob("*.json") if not p.name.startswith("."))


def corpus_students() -> set[str]:
    """Every student of the corpus: the built-in cases and one per override file."""
    return set(BUILT_IN) | {path.stem for path in override_files()}


def build_corpus(target: Path, students=None) -> dict[str, Path]:
    """The corpus submissions (all, or those of `students`) as student folders; returns {student: file}."""
    reference = notebook_code(ACTOR_TREE.source)
    overrides = {path.stem: path for path in override_files()}
    files: dict[str, Path] = {}
    for student in sorted(corpus_students() if students is None else students):
        if student in overrides:
            name, text = "actor_tree.py", compose(reference, overrides[student].read_text())
        else:
            name, make = BUILT_IN[student]
            text = make(reference)
        folder = target / student / "actor_tree"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
        files[student] = folder / name
    return files


def _reads_graded(item) -> bool:
    """Whether a test uses the `graded` fixture of this file (test_hostile.py has its own)."""
    definitions = getattr(getattr(item, "_fixtureinfo", None), "name2fixturedefs", {}).get("graded")
    if definitions is None:
        return "graded" in getattr(item, "fixturenames", ())  # pytest internals moved: assume it does
    return definitions[-1].func.__module__ == __name__


def named_students(item) -> set[str] | None:
    """The students a test names with @pytest.mark.students(...) (all its marks together); None if none."""
    marks = list(item.iter_markers("students"))
    return {name for mark in marks for name in mark.args} if marks else None


def students_needed(items) -> set[str]:
    """The corpus students that the selected tests read from `graded` (every one for a test that names none)."""
    needed: set[str] = set()
    for item in items:
        if _reads_graded(item):
            named = named_students(item)
            needed |= corpus_students() if named is None else named
    return needed


def pytest_collection_modifyitems(config, items):
    """A misspelt student in @pytest.mark.students fails the collection, not a test 10 minutes later."""
    known = corpus_students()
    for item in items:
        unknown = (named_students(item) or set()) - known
        if unknown:
            raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.students names no corpus student "
                                    f"{', '.join(sorted(unknown))} (see tests/conftest.py: corpus_students)")


def _this_run() -> set[int]:
    """Pids of this test process and its children: the graders of this run."""
    return {os.getpid()} | {child.pid for child in psutil.Process().children(recursive=True)}


def ray_processes_of_grader() -> list[str]:
    """Processes started by a grading run of this installation and this test run (their command lines
    name a grade-<grader pid>-* temp dir and this environment). Another checkout's test run on the
    machine is not ours, nor is another live test run of this one: a live grader that is neither this
    process nor one of its children (a grader that died, however, leaves orphans that are ours)."""
    ours = _this_run()
    left = []
    for proc in processes_naming("/grade-", sys.prefix):
        cmdline = " ".join(proc.info["cmdline"] or ())
        grader = re.search(r"/grade-(\d+)-", cmdline)
        if grader and ("ray" in cmdline or "grader.session" in cmdline):
            pid = int(grader.group(1))
            if pid in ours or not psutil.pid_exists(pid):
                left.append(f"{proc.info['pid']}: {cmdline[:120]}")
    return left


def groups_of_grader() -> list[str]:
    """Control groups left by a grading run of this test run: made by this process or its children,
    or by a grader that is gone (an orphan); another live test run's groups are not ours."""
    from grader.runtime.limits import own_groups

    ours = _this_run()
    left = []
    for group in own_groups():
        grader = re.match(r"grade-(\d+)-", group.name)
        if grader and (int(grader.group(1)) in ours or not psutil.pid_exists(int(grader.group(1)))):
            left.append(str(group))
    return left


class Graded(dict):
    """{student: Report}, plus "temp dirs left"; a student no selected test named was not graded."""

    def __missing__(self, student):
        raise KeyError(f"{student!r} was not graded: name it in the test's @pytest.mark.students(...) "
                       "(tests/conftest.py)")


@pytest.fixture(scope="session")
def graded(request, tmp_path_factory):
    """The reports of the corpus students the selected tests read (see the module docstring)."""
    from grader.discovery import discover
    from grader.grading import grade_submissions

    target = tmp_path_factory.mktemp("class")
    own_temp_dirs = f"{tempfile.gettempdir()}/grade-{os.getpid()}-*"  # this process grades; other runs are not ours
    before = set(glob.glob(own_temp_dirs))
    files = build_corpus(target, students_needed(request.session.items))
    # GRADER_TEST_RESULTS=DIR keeps reports between runs while developing (unchanged submissions are
    # not graded again); CI leaves it unset and grades everything.
    # Each override is graded on the checks it can affect (a third less Ray work for the suite).
    selected = {path.stem: checks_it_can_affect(path.read_text()) for path in override_files()}
    submissions = [dataclasses.replace(s, checks=selected.get(s.student, ())) for s in discover([str(target)])]
    reports = grade_submissions(submissions, jobs=3, wall_seconds=300,
                                results_dir=os.environ.get("GRADER_TEST_RESULTS"))
    by_student = Graded((r.student, r) for r in reports)
    by_student["temp dirs left"] = sorted(set(glob.glob(own_temp_dirs)) - before)
    assert set(by_student) == set(files) | {"temp dirs left"}, "every graded submission has exactly one report"
    return by_student


def failed_ids(report) -> set[str]:
    return {c.id for c in report.checks if c.status != "passed"}


def dump(report) -> str:
    return json.dumps(report.to_json(), indent=1)[:6000]


os.environ.setdefault("PYTHONUNBUFFERED", "1")


def grader_failures(reports) -> list[str]:
    """Reports where the grader itself failed (a bug of ours, whatever the submission did)."""
    return [r.student for r in reports
            if r.grader_failure or any(c.feedback.startswith("The grader itself failed") for c in r.checks)]


DISTINCTIVE = 25
"""Characters from which one line of a solution is distinctive alone; shorter ones ("break",
"ray.kill(supervisor)") are common Python the grader itself writes, and count only in pairs."""


def solution_lines() -> list[list[str]]:
    """Each solution region of every installed assignment's source as its lines (stripped), less
    those that its student notebook also holds (given code, stubs, the prose's own examples)."""
    regions = []
    for assignment in installed():
        student = {line.strip() for cell in nbformat.read(assignment.release, as_version=4).cells
                   for line in cell.source.splitlines()}
        for cell in nbformat.read(assignment.source, as_version=4).cells:
            region = None
            for line in cell.source.splitlines():
                if "### BEGIN SOLUTION" in line:
                    region = []
                elif "### END SOLUTION" in line and region is not None:
                    regions.append(region)
                    region = None
                elif region is not None and line.strip() and line.strip() not in student:
                    region.append(line.strip())
    return regions


def solution_leaks(text: str, regions: list[list[str]]) -> list[str]:
    """Solution lines found in `text`: a distinctive line alone, or two consecutive lines of a
    region found one after the other."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    present, pairs = set(lines), set(zip(lines, lines[1:], strict=False))
    found = []
    for region in regions:
        found += [line for line in region if len(line) >= DISTINCTIVE and line in present]
        found += [f"{a} / {b}" for a, b in zip(region, region[1:], strict=False) if (a, b) in pairs]
    return found


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


@contextlib.contextmanager
def headless_chromium(profile: Path, *, size: str = "1400,1000"):
    """Debian's Chromium driven by selenium, headless, with a profile of its own; skips the test,
    saying why, where there is no browser (.ci/run installs one when it runs as root)."""
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("no browser: install Debian's chromium and chromium-driver (.ci/run does, as root)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium comes with the test extra")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", f"--window-size={size}", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
