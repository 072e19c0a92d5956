"""Feedback a student reads at a glance: the page nbgrader's generate_feedback makes with the
course config (run by `grade --nbgrader`) opens with a summary of every check, the missed ones
first with their reasons; the index links are named after the checks; the hidden check shows its
points only. Opened in headless Chromium, as a student opens it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import headless_chromium
from grader.checks import all_specs
from grader.records import HIDDEN_FEEDBACK
from grader.release import autograder_grade_id
from test_course import PART1, PART3, with_solutions
from conftest import ACTOR_TREE

pytestmark = [pytest.mark.slow, pytest.mark.ray, pytest.mark.nbgrader, pytest.mark.browser]
ASSIGNMENT = "actor_tree"
SEQUENTIAL_AND_LEAKING = '''def run_experiments(n_experiments=3, n_iterations=60, delay=1.0):
    """Run the experiments, one after another, on a detached logger that is never killed."""
    logging_actor = LoggingActor.options(lifetime="detached").remote()
    for i in range(n_experiments):
        ray.get(run_experiment.remote(i, logging_actor, n_iterations, delay))
    return ray.get(logging_actor.get_logs.remote())
'''
MISSED = {"logging.parallel", "logging.no_leaks"}
"""What that submission misses: a visible check, and the hidden one (whose finding is unique to it)."""


def _run(*command, cwd):
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    env.pop("ACTOR_TREE_GRADING", None)
    done = subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, f"{command}: {done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def feedback(tmp_path_factory):
    base = tmp_path_factory.mktemp("feedback")
    root = base / "course"
    _run("grade", "--new-course", root, cwd=base)
    _run("nbgrader", "generate_assignment", ASSIGNMENT, cwd=root)
    folder = root / "submitted" / "ada" / ASSIGNMENT
    folder.mkdir(parents=True)
    notebook = folder / f"{ASSIGNMENT}.ipynb"
    notebook.write_text(ACTOR_TREE.release.read_text())
    with_solutions(notebook, PART1 + PART3)
    cells = json.loads(notebook.read_text())
    for cell in cells["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "run-experiments":
            cell["source"] = SEQUENTIAL_AND_LEAKING
    notebook.write_text(json.dumps(cells))
    (folder / "timestamp.txt").write_text("2026-11-30 10:00:00.000000 UTC")
    _run("grade", "--nbgrader", ASSIGNMENT, cwd=root)
    saved = json.loads((root / "grade_results" / ASSIGNMENT / "ada.json").read_text())["report"]
    return root / "feedback" / "ada" / ASSIGNMENT / f"{ASSIGNMENT}.html", saved, base


def test_the_report_misses_what_the_submission_gets_wrong(feedback):
    _, saved, _ = feedback
    assert {c["id"] for c in saved["checks"] if c["status"] != "passed"} == MISSED, saved


def test_the_first_screen_holds_the_missed_checks_and_why(feedback):
    page, saved, base = feedback
    reasons = {c["id"]: c["feedback"] for c in saved["checks"]}
    names = {s.id: s.name for s in all_specs(ACTOR_TREE)}
    with headless_chromium(base / ".chromium", size="1280,800") as browser:
        browser.get(page.as_uri())
        browser.save_screenshot(str(base / "feedback.png"))
        assert (base / "feedback.png").stat().st_size > 10_000
        first_screen = browser.execute_script("""
            const rows = [...document.querySelectorAll('#check-summary tr[data-check]')];
            return rows.filter(r => r.getBoundingClientRect().bottom <= window.innerHeight)
                       .map(r => [r.dataset.check, r.className, r.innerText]);""")
        toc = browser.execute_script("return [...document.querySelectorAll('#toc a')].map(a => a.innerText)")
    shown = {anchor: (kind, text) for anchor, kind, text in first_screen}
    for check_id in MISSED:
        kind, text = shown[autograder_grade_id(check_id)]
        assert kind == "danger" and names[check_id] in text, (check_id, text)
    parallel = shown[autograder_grade_id("logging.parallel")][1]
    assert "one after another" in parallel and reasons["logging.parallel"].split(":")[0] in parallel
    assert HIDDEN_FEEDBACK in shown[autograder_grade_id("logging.no_leaks")][1]
    assert toc == [s.name for s in all_specs(ACTOR_TREE)]  # the index is named after the checks, not "Test cell"


def test_no_hidden_finding_anywhere_in_the_page(feedback):
    page, saved, _ = feedback
    hidden = next(c for c in saved["checks"] if c["id"] == "logging.no_leaks")
    assert "still alive" in hidden["feedback"]  # the instructor's finding, unique to the hidden check
    text = page.read_text()
    assert hidden["feedback"][:60] not in text and "still alive" not in text
    assert 'autograde_check("logging.no_leaks")' not in text and "BEGIN HIDDEN TESTS" not in text
