"""A class at a glance: copied work found by copydetect on the students' own code (the released
notebook left out), the class report opened in headless Chromium, and a feedback page per student."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import headless_chromium
from grader.checks import all_specs
from grader.course_notebooks import notebook_code, solution_notebook, student_notebook
from grader.demo import compose
from grader.records import HIDDEN_FEEDBACK
from grader.similarity import similar_pairs

INDEPENDENT = Path(__file__).resolve().parent / "similarity" / "independent_solution.py"
RENAMES = ((r"\b_workers\b", "_team"), (r"\bpending\b", "refs"), (r"\bhistory\b", "polls"),
           (r"\bexperiments\b", "exps"), (r"\b_state\b", "_status"), (r"\b_logs\b", "_book"),
           (r"\bsupervisor\b", "boss"))
"""Its own names, not the contract's (which the checks call)."""


def renamed_copy(code: str) -> str:
    """What a copier does: other names, no comments, the functions in another order."""
    for old, new in RENAMES:
        code = re.sub(old, new, code)
    code = "\n".join(line for line in code.splitlines() if not line.strip().startswith("#"))
    first, *rest = re.split(r"\n(?=def run_experiments\()", code, maxsplit=1)
    return "\n".join([*rest, first]) if rest else code


def _sources() -> dict[str, str]:
    reference = notebook_code(solution_notebook())
    stub = notebook_code(student_notebook())
    return {"reference": reference, "copier": renamed_copy(reference),
            "independent": compose(stub, INDEPENDENT.read_text()), "stub-a": stub, "stub-b": stub}


def test_a_renamed_copy_is_flagged_and_nothing_else():
    pairs = similar_pairs(_sources())
    assert [p["students"] for p in pairs] == [["copier", "reference"]], pairs
    assert pairs[0]["similarity"] >= 0.9


def test_a_copy_pasted_into_a_larger_notebook_is_flagged():
    sources = _sources()
    padded = {"independent": sources["independent"], "padder": sources["independent"] + "\n\n" + renamed_copy(
        sources["reference"]), "reference": sources["reference"]}
    flagged = {tuple(p["students"]) for p in similar_pairs(padded)}
    assert ("padder", "reference") in flagged and ("independent", "padder") in flagged
    assert ("independent", "reference") not in flagged


def test_an_independent_solution_and_untouched_stubs_are_not_alike():
    every = {tuple(p["students"]): p["similarity"] for p in similar_pairs(_sources(), threshold=0.0)}
    assert ("copier", "reference") in every  # listed at threshold 0: the others are not even close
    assert ("independent", "reference") not in every and ("copier", "independent") not in every
    assert not [pair for pair in every if "stub-a" in pair or "stub-b" in pair]  # nothing of their own


@pytest.mark.slow
@pytest.mark.ray
@pytest.mark.browser
def test_the_class_report_and_feedback_pages(tmp_path):
    for student, code in _sources().items():
        (tmp_path / "class" / student).mkdir(parents=True)
        if student.startswith("stub"):
            (tmp_path / "class" / student / "actor_tree.ipynb").write_text(student_notebook().read_text())
        else:
            (tmp_path / "class" / student / "actor_tree.py").write_text(code)
    done = subprocess.run([sys.executable, "-m", "grader", "class", "--json", "--report", "class.html",
                           "--feedback", "feedback"], cwd=tmp_path, capture_output=True, text=True, timeout=1500)
    assert done.returncode == 0, done.stderr[-3000:]
    batch = json.loads(done.stdout)
    assert [p["students"] for p in batch["similar_pairs"]] == [["copier", "reference"]]
    students = sorted(r["student"] for r in batch["submissions"])

    report = tmp_path / "class.html"
    text = report.read_text()
    # Offline: nothing fetched (XML namespaces in the SVG are names, not requests), no script.
    assert not re.findall(r"""(?:src|href)\s*=\s*["']?https?:|<link|<script|@import|url\(\s*["']?https?:""", text)
    with headless_chromium(tmp_path / ".chromium", size="1280,1000") as browser:
        browser.get(report.as_uri())
        browser.save_screenshot(str(tmp_path / "class.png"))
        shown = browser.execute_script("""return {
            students: [...document.querySelectorAll('#students tr[data-student]')].map(r => r.dataset.student),
            sections: [...document.querySelectorAll('section.student')].map(s => s.id),
            plots: document.querySelectorAll('#plots svg').length,
            reasons: [...document.querySelectorAll('#reasons tr[data-check]')].map(r => r.dataset.check),
            body: document.body.innerText};""")
    assert (tmp_path / "class.png").stat().st_size > 20_000
    assert sorted(shown["students"]) == students and sorted(shown["sections"]) == [f"student-{s}" for s in students]
    assert shown["plots"] == 2
    for spec in all_specs():
        assert spec.id in shown["body"], spec.id
    assert set(shown["reasons"]) == {s.id for s in all_specs()}  # the stubs miss every check
    assert shown["students"][:2] == ["stub-a", "stub-b"]  # lowest score first: who needs help
    assert {r["student"]: r["score"] for r in batch["submissions"]}["copier"] == 20  # a working copy

    pages = {p.stem: p.read_text() for p in (tmp_path / "feedback").glob("*.html")}
    assert sorted(pages) == students
    stub_page, hidden_finding = pages["stub-a"], "not implemented yet"
    assert HIDDEN_FEEDBACK in stub_page and "not passed" in stub_page
    hidden_row = re.search(r"data-check='logging.no_leaks'>(.*?)</tr>", stub_page).group(1)
    assert hidden_finding not in hidden_row and HIDDEN_FEEDBACK in hidden_row
