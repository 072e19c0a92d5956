"""A class at a glance: copied work found by copydetect on the students' own code (the released
notebook left out), the class report (rendered from made-up reports, and opened in headless
Chromium after a real run), and a feedback page per student."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import headless_chromium
from grader.checks import all_specs
from grader.course_notebooks import notebook_code
from grader.demo import compose
from grader.records import GRADER_FAILED, HIDDEN, HIDDEN_FEEDBACK, PASSED, VISIBLE, CheckResult, Report
from grader.report import class_report
from grader.similarity import similar_pairs
from conftest import ACTOR_TREE

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
    reference = notebook_code(ACTOR_TREE.source)
    stub = notebook_code(ACTOR_TREE.release)
    return {"reference": reference, "copier": renamed_copy(reference),
            "independent": compose(stub, INDEPENDENT.read_text()), "stub-a": stub, "stub-b": stub}


def test_a_renamed_copy_is_flagged_and_nothing_else():
    pairs = similar_pairs(_sources(), ACTOR_TREE)
    assert [p["students"] for p in pairs] == [["copier", "reference"]], pairs
    assert pairs[0]["similarity"] >= 0.9


def test_a_copy_pasted_into_a_larger_notebook_is_flagged():
    sources = _sources()
    padded = {"independent": sources["independent"], "padder": sources["independent"] + "\n\n" + renamed_copy(
        sources["reference"]), "reference": sources["reference"]}
    flagged = {tuple(p["students"]) for p in similar_pairs(padded, ACTOR_TREE)}
    assert ("padder", "reference") in flagged and ("independent", "padder") in flagged
    assert ("independent", "reference") not in flagged


def test_an_independent_solution_and_untouched_stubs_are_not_alike():
    every = {tuple(p["students"]): p["similarity"] for p in similar_pairs(_sources(), ACTOR_TREE, threshold=0.0)}
    assert ("copier", "reference") in every  # listed at threshold 0: the others are not even close
    assert ("independent", "reference") not in every and ("copier", "independent") not in every
    assert not [pair for pair in every if "stub-a" in pair or "stub-b" in pair]  # nothing of their own


def test_a_pair_has_one_similarity_in_every_process_a_whole_percent():
    """copydetect hashes with hash(), salted per process: the same two files were 93% in one run's
    report and 95% in another's terminal. Two processes with other salts now agree, to the percent."""
    script = ("import json, sys; sys.path.insert(0, 'tests'); from test_class_report import _sources, renamed_copy; "
              "from grader.similarity import similar_pairs; from conftest import ACTOR_TREE; s = _sources(); "
              "s['partial'] = s['independent'] + renamed_copy(s['reference'])[:len(s['reference']) // 2]; "
              "print(json.dumps(similar_pairs(s, ACTOR_TREE, threshold=0.0)))")
    root = Path(__file__).resolve().parents[1]
    runs = [subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=120,
                           env={**os.environ, "PYTHONHASHSEED": seed}) for seed in ("1", "2", "3")]
    assert all(run.returncode == 0 for run in runs), [run.stderr[-2000:] for run in runs]
    first, *others = [json.loads(run.stdout) for run in runs]
    assert len(first) >= 3 and all(other == first for other in others), (first, others)
    assert all(pair["similarity"] == round(pair["similarity"], 2) for pair in first)


# -- the class report, rendered from made-up reports (no Ray) ------------------------------------------

SPECS = (("supervisor.work_nonblocking", 2.0, VISIBLE), ("logging.parallel", 1.0, VISIBLE),
         ("logging.no_leaks", 1.0, HIDDEN))
STUB_FEEDBACK = ("Supervisor(models) could not be used: Supervisor.__init__ is not implemented yet (it still raises "
                 "NotImplementedError): write its body.")
BLOCKS = "Supervisor.work() blocked for 5.0 s. It should start the workers and return at once."


def _report(student: str, feedback: dict[str, str], **fields) -> Report:
    """A report of SPECS: a check passes unless `feedback` says why it did not."""
    checks = tuple(CheckResult(check_id, check_id, 0.0 if check_id in feedback else points, points,
                               "failed" if check_id in feedback else PASSED, visibility, feedback.get(check_id, ""))
                   for check_id, points, visibility in SPECS)
    return Report(f"class/{student}/actor_tree.ipynb", student, checks, **fields)


def _grader_failed(student: str, reason: str, **fields) -> Report:
    return _report(student, dict.fromkeys((i for i, _, _ in SPECS), GRADER_FAILED.format(reason=reason)),
                   grader_failure=reason, **fields)


def _section(html: str, section_id: str) -> str:
    return re.search(rf"<section id='{section_id}'>(.*?)</section>", html, re.S).group(1)


def _rows(html: str, attribute: str) -> dict[str, str]:
    return dict(re.findall(rf"<tr {attribute}='([^']*)'(.*?)</tr>", html, re.S))


def test_a_report_the_grader_failed_on_is_flagged_and_is_not_a_score(monkeypatch):
    plotted = {}

    def plot(name):
        def draw(reports, *checks):
            plotted[name] = sorted(r.student for r in reports)
            return "<svg></svg>"
        return draw

    for name in ("_histogram", "_pass_rates"):
        monkeypatch.setattr(class_report, name, plot(name))
    reports = [_report("ada", {}), _report("bo", {"logging.parallel": BLOCKS}, flags=("tampered with time",)),
               _grader_failed("cy", "Ray did not start within 60 s <head>")]
    html = class_report.render(reports, title="class", similar=[])

    overview = re.search(r"<p id='overview'>(.*?)</p>", html).group(1)
    assert "3 submissions; mean score 3.5 / 4; 1 full marks; 2 flagged for the instructor" in overview
    assert "1 not graded: the grader failed" in overview
    assert plotted == {"_histogram": ["ada", "bo"], "_pass_rates": ["ada", "bo"]}  # not a score
    reasons = _section(html, "reasons")
    assert "Not graded" not in reasons and set(_rows(reasons, "data-check")) == {"logging.parallel"}

    students = _rows(_section(html, "students"), "data-student")
    assert list(students) == ["cy", "bo", "ada"]  # not graded first: the instructor looks at it
    assert "not graded: the grader failed: Ray did not start within 60 s &lt;head&gt;" in students["cy"]
    assert "<td>not graded</td>" in students["cy"] and "4 / 4" in students["ada"]
    cy = re.search(r"<section class='student' id='student-cy'>(.*?)</section>", html, re.S).group(1)
    assert "<h3>cy: not graded</h3>" in cy and "not graded: the grader failed: Ray did not start" in cy


def test_each_students_staff_log_is_in_the_report_collapsed_and_escaped():
    log = "Traceback (most recent call last):\n  <script>alert('x')</script>\nRuntimeError: the raylet died"
    html = class_report.render([_report("ada", {}, staff_log=log), _report("bo", {}),
                                _report("cy", {}, staff_log="x" * 50_000 + "the end")], title="class")
    sections = dict(re.findall(r"<section class='student' id='student-(\w+)'>(.*?)</section>", html, re.S))
    logs = {student: re.findall(r"<details class='staff-log'><summary>(.*?)</summary><pre>(.*?)</pre></details>",
                                section, re.S) for student, section in sections.items()}
    assert logs["bo"] == []  # nothing to show: no empty box
    [(summary, shown)] = logs["ada"]
    assert summary.startswith("staff log (3 lines") and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in shown
    assert "<script" not in html
    [(_, long)] = logs["cy"]
    assert long.endswith("the end") and "characters left out here" in long and len(long) < 45_000


def test_a_reused_report_says_it_comes_from_an_earlier_run():
    html = class_report.render([_report("ada", {}, reused=True, seconds=40)], title="class")
    assert "40 s (an earlier run)" in _rows(_section(html, "students"), "data-student")["ada"]


def test_untouched_stubs_are_counted_apart_from_the_mistakes():
    stub = dict.fromkeys((i for i, _, _ in SPECS), STUB_FEEDBACK)
    reports = [_report("stub-a", stub), _report("stub-b", stub),
               _report("ada", {"supervisor.work_nonblocking": BLOCKS}),
               _report("bo", {"supervisor.work_nonblocking": BLOCKS, "logging.parallel": STUB_FEEDBACK})]
    rows = _rows(_section(class_report.render(reports, title="class"), "reasons"), "data-check")
    assert list(rows) == [i for i, _, _ in SPECS]
    work = rows["supervisor.work_nonblocking"]
    assert work.startswith(" data-mistakes='2' data-stubs='2'") and "<td>4</td>" in work
    reasons = re.findall(r"<li( class='muted stub')?>(.*?)</li>", work)
    assert reasons == [("", "2 &times; Supervisor.work() blocked for 5.0 s"),  # the mistake first, alone
                       (" class='muted stub'", "2 &times; the stub left untouched (it still raises "
                        "NotImplementedError): not written yet, not a mistake")]
    assert rows["logging.parallel"].startswith(" data-mistakes='0' data-stubs='3'")
    assert "not implemented yet" not in rows["logging.parallel"]  # no stub reason among the mistakes


def test_the_stub_phrase_is_the_one_the_checks_write():
    from grader.checks.explain import NOT_IMPLEMENTED, explain

    assert class_report.STUB in NOT_IMPLEMENTED and class_report.is_stub(explain(NotImplementedError(), "Worker()"))
    assert not class_report.is_stub(BLOCKS)


@pytest.mark.parametrize("top", [1, 3, 4, 13, 20, 37])
def test_the_histogram_ticks_are_whole_points(top):
    checks = tuple(CheckResult(f"c{i}", "C", 0.0, 1.0, "failed", VISIBLE) for i in range(top))
    svg = class_report._histogram([Report("a.py", "a", checks), Report("b.py", "b", checks[:-1] + (
        CheckResult("last", "L", 1.0, 1.0, PASSED, VISIBLE),))])
    ticks = re.findall(r'<g id="xtick_\d+">.*?<!-- (.*?) -->', svg, re.S)
    assert ticks and all(re.fullmatch(r"\d+", tick) for tick in ticks), ticks
    assert ticks[0] == "0" and int(ticks[-1]) <= top and top - int(ticks[-1]) < int(ticks[1]) - int(ticks[0]) + 1


@pytest.mark.slow
@pytest.mark.ray
@pytest.mark.browser
def test_the_class_report_and_feedback_pages(tmp_path):
    for student, code in _sources().items():
        (tmp_path / "class" / student).mkdir(parents=True)
        if student.startswith("stub"):
            (tmp_path / "class" / student / "actor_tree.ipynb").write_text(ACTOR_TREE.release.read_text())
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
    for spec in all_specs(ACTOR_TREE):
        assert spec.id in shown["body"], spec.id
    assert set(shown["reasons"]) == {s.id for s in all_specs(ACTOR_TREE)}  # the stubs miss every check
    assert shown["students"][:2] == ["stub-a", "stub-b"]  # lowest score first: who needs help
    assert {r["student"]: r["score"] for r in batch["submissions"]}["copier"] == 20  # a working copy

    pages = {p.stem: p.read_text() for p in (tmp_path / "feedback").glob("*.html")}
    assert sorted(pages) == students
    stub_page, hidden_finding = pages["stub-a"], "not implemented yet"
    assert HIDDEN_FEEDBACK in stub_page and "not passed" in stub_page
    hidden_row = re.search(r"data-check='logging.no_leaks'>(.*?)</tr>", stub_page).group(1)
    assert hidden_finding not in hidden_row and HIDDEN_FEEDBACK in hidden_row
