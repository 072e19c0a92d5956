"""Fast tests of the pure parts (no Ray cluster): discovery, loading, shape, renderers, journal."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import nbformat
import pytest

from grader.checks import REQUIRED_IDS, CheckFailed, all_specs
from grader.discovery import UsageError, discover
from grader.records import CheckResult, Report
from grader.report import tables, terminal
from grader.session import journal as journal_file
from grader.session.context import Grading
from grader.session.loader import load
from grader.session.shape import inspect_shape


def _write(path: Path, text: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_discovery_of_a_class_in_nbgrader_layout(tmp_path):
    _write(tmp_path / "submitted" / "bob" / "actor_tree" / "actor_tree.ipynb")
    _write(tmp_path / "submitted" / "alice" / "actor_tree" / "actor_tree.ipynb")
    _write(tmp_path / "submitted" / "alice" / "actor_tree" / ".ipynb_checkpoints" / "actor_tree-checkpoint.ipynb")
    (tmp_path / "submitted" / "carol").mkdir()
    found = discover([tmp_path / "submitted"])
    assert [s.student for s in found] == ["alice", "bob", "carol"]
    assert found[0].path.endswith("alice/actor_tree/actor_tree.ipynb") and not found[0].problem
    assert "holds no notebook" in found[2].problem


def test_discovery_prefers_the_assignment_notebook_and_reports_ambiguity(tmp_path):
    _write(tmp_path / "dan" / "actor_tree.ipynb")
    _write(tmp_path / "dan" / "scratch.ipynb")
    _write(tmp_path / "eve" / "a.ipynb")
    _write(tmp_path / "eve" / "b.ipynb")
    dan, eve = discover([tmp_path / "dan", tmp_path / "eve"])
    assert dan.path.endswith("dan/actor_tree.ipynb") and dan.student == "dan"
    assert "several candidates" in eve.problem and "a.ipynb, b.ipynb" in eve.problem


def test_discovery_usage_errors(tmp_path):
    with pytest.raises(UsageError):
        discover([tmp_path / "missing"])
    with pytest.raises(UsageError):
        discover([_write(tmp_path / "notes.txt")])


def _notebook(*cells) -> str:
    notebook = nbformat.v4.new_notebook()
    for source, tags in cells:
        cell = nbformat.v4.new_code_cell(source)
        if tags:
            cell.metadata["tags"] = tags
        notebook.cells.append(cell)
    return nbformat.writes(notebook)


def test_loader_skips_demo_cells_and_magics_and_keeps_going(tmp_path):
    path = _write(tmp_path / "nb.ipynb", _notebook(
        ("%matplotlib inline\nA = 1", None),
        ("raise SystemError('demo must not run')", ["demo"]),
        ("B = undefined_name", None),
        ("%%time\nC = A + 1", None),
        ("if __name__ == '__main__':\n    D = 1", None),
    ))
    loaded = load(path)
    ns = loaded.module.__dict__
    assert ns["A"] == 1 and ns["C"] == 2 and "D" not in ns
    assert "B" in loaded.failures and "nb.ipynb, cell 3 raised NameError at line 1" in loaded.failures["B"]


def test_loader_reports_syntax_errors_with_cell_and_line(tmp_path):
    path = _write(tmp_path / "nb.ipynb", _notebook(("x = 1", None), ("def f(:\n    pass", None)))
    loaded = load(path)
    assert loaded.failures["f"].startswith("SyntaxError in nb.ipynb, cell 2, line 1")


def test_loader_problems_for_unusable_files(tmp_path):
    assert "not a valid notebook: JSON error at line 1" in load(_write(tmp_path / "x.ipynb", "{oops")).problem
    assert "SyntaxError in x.py, line 2" in load(_write(tmp_path / "x.py", "a = 1\nb = (\n")).problem
    (tmp_path / "bin.py").write_bytes(b"\xff\xfe\x00")
    assert "not UTF-8" in load(tmp_path / "bin.py").problem


def test_shape_problems_are_precise(tmp_path):
    path = _write(tmp_path / "s.py", "import ray\nclass Worker:\n    pass\n"
                  "@ray.remote\ndef run_experiments(n_experiments=3, n_iterations=60, delay=1.0):\n    pass\n"
                  "@ray.remote\nclass LoggingActor:\n    def log(self, index):\n        pass\n"
                  "    def get_logs(self):\n        pass\n")
    loaded = load(path)
    problems = inspect_shape(loaded.module.__dict__, loaded.failures)
    assert "Worker is a plain class: decorate it with @ray.remote" in problems["Worker"]
    assert "remove its @ray.remote decorator" in problems["run_experiments"]
    assert "LoggingActor.log" in problems["LoggingActor"] and "cannot be called" in problems["LoggingActor"]
    assert problems["Supervisor"].startswith("Supervisor is not defined")
    grading = Grading(loaded.module, problems, "", tmp_path)
    with pytest.raises(CheckFailed, match="plain class"):
        grading.require(("Supervisor", "Worker"))


def _report(hidden_feedback="secret detail") -> Report:
    specs = all_specs()
    checks = [CheckResult.passed(s) for s in specs[:-1]] + [CheckResult.failed(specs[-1], hidden_feedback)]
    return Report("a/actor_tree.ipynb", "alice", tuple(checks))


def test_json_report_matches_the_contract():
    data = json.loads(tables.to_json([_report()], single=True))
    assert set(data) >= {"submission", "score", "max_score", "checks"}
    assert data["score"] == 19 and data["max_score"] == 20
    assert [c["id"] for c in data["checks"]] == list(REQUIRED_IDS)
    for check in data["checks"]:
        assert set(check) >= {"id", "name", "score", "max_score", "status", "visibility", "feedback"}
        assert check["status"] in ("passed", "failed") and check["visibility"] in ("visible", "hidden")
    several = json.loads(tables.to_json([_report(), _report()], single=False))
    assert len(several["submissions"]) == 2


def test_csv_has_a_row_per_student_with_each_check():
    rows = list(csv.reader(io.StringIO(tables.to_csv([_report()]))))
    assert rows[0][:2] == ["student", "submission"] and rows[0][2:-3] == list(REQUIRED_IDS)
    assert rows[1][0] == "alice" and rows[1][-3] == "19"


def test_student_view_hides_hidden_feedback():
    report = _report()
    assert "secret detail" in terminal.render(report)
    assert "secret detail" not in terminal.render(report, student_view=True)


def test_report_round_trips_through_json():
    report = _report()
    again = Report.from_json(report.to_json())
    assert again.checks == report.checks and again.score == report.score


def test_journal_drops_a_torn_last_line(tmp_path):
    journal = journal_file.Journal(tmp_path / "j.jsonl")
    journal.started("x")
    with open(tmp_path / "j.jsonl", "a") as out:
        out.write('{"event": "resu')
    assert journal_file.read(tmp_path / "j.jsonl") == [{"event": "started", "id": "x"}]
