"""Fast tests of the pure parts (no Ray cluster): discovery, loading, shape, renderers, journal."""

from __future__ import annotations

import csv
import io
import json
import textwrap
import types
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from conftest import REQUIRED_IDS
from grader.assignment import find
from grader.checks import CheckFailed, all_specs
from grader.discovery import UsageError, discover
from grader.records import CheckResult, Report
from grader.report import tables, terminal
from grader.session import journal as journal_file
from grader.session.context import Grading
from grader.session.loader import load
from grader.session.shape import inspect_shape
from conftest import ACTOR_TREE


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
    problems = inspect_shape(loaded.module.__dict__, loaded.failures, ACTOR_TREE.contract)
    assert "Worker is a plain class: decorate it with @ray.remote" in problems["Worker"]
    assert "remove its @ray.remote decorator" in problems["run_experiments"]
    assert "LoggingActor.log" in problems["LoggingActor"] and "cannot be called" in problems["LoggingActor"]
    assert problems["Supervisor"].startswith("Supervisor is not defined")
    grading = Grading(loaded.module, problems, "", tmp_path)
    with pytest.raises(CheckFailed, match="plain class"):
        grading.require(("Supervisor", "Worker"))


def _report(hidden_feedback="secret detail") -> Report:
    specs = all_specs(ACTOR_TREE)
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


def test_discovery_names_students_by_folder_or_file_and_keeps_them_unique(tmp_path):
    nbgrader_file = _write(tmp_path / "submitted" / "ann" / "actor_tree" / "actor_tree.py")
    loose = _write(tmp_path / "inbox" / "ann.py")
    found = discover([nbgrader_file, loose, _write(tmp_path / "other" / "ann.ipynb")])
    assert [s.student for s in found] == ["ann", "ann-2", "ann-3"]
    assert [s.shown_as for s in found] == [str(nbgrader_file), str(loose), str(tmp_path / "other" / "ann.ipynb")]


def test_a_file_given_alone_is_named_by_its_file_files_side_by_side_by_their_folders(tmp_path, monkeypatch):
    solution = _write(tmp_path / "solutions" / "actor_tree" / "actor_tree.ipynb")
    student_folder_file = _write(tmp_path / "dan" / "actor_tree.ipynb")
    nbgrader_file = _write(tmp_path / "course" / "submitted" / "eve" / "actor_tree" / "actor_tree.ipynb")
    autograded = _write(tmp_path / "course" / "autograded" / "fay" / "actor_tree" / "answers.ipynb")
    assert [s.student for s in discover([solution])] == ["actor_tree"]  # not "solutions"
    assert [s.student for s in discover([nbgrader_file])] == ["eve"]
    monkeypatch.chdir(solution.parent)
    assert [s.student for s in discover(["actor_tree.ipynb"])] == ["actor_tree"]
    # Side by side, the folders tell them apart (grade alice/actor_tree.ipynb bob/actor_tree.ipynb).
    found = discover([solution, student_folder_file, nbgrader_file, autograded, _write(tmp_path / "ivy.py")])
    assert [s.student for s in found] == ["solutions", "dan", "eve", "fay", "ivy"]
    # Folders keep their names: a student's, an nbgrader submission's (its student), a class's students.
    _write(tmp_path / "class" / "gil" / "actor_tree" / "actor_tree.ipynb")
    _write(tmp_path / "class" / "hal" / "actor_tree.py")
    found = discover([tmp_path / "dan", nbgrader_file.parent, tmp_path / "class"])
    assert [s.student for s in found] == ["dan", "eve", "gil", "hal"]


def test_discovery_gives_unusable_student_folders_a_problem_not_an_error(tmp_path):
    _write(tmp_path / "class" / "fay" / "actor_tree" / "actor_tree.ipynb")
    _write(tmp_path / "class" / "gus" / "hw1" / "a.ipynb")
    _write(tmp_path / "class" / "gus" / "hw2" / "b.ipynb")
    _write(tmp_path / "class" / ".hidden" / "actor_tree.ipynb")
    _write(tmp_path / "class" / "__pycache__" / "x.py")
    fay, gus = discover([tmp_path / "class"])
    assert (fay.student, fay.problem) == ("fay", "")
    assert gus.student == "gus" and "holds several assignment folders (hw1, hw2)" in gus.problem
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match="no submissions found"):
        discover([tmp_path / "empty"])


def test_loader_runs_a_py_file_as_a_module_and_keeps_what_came_before_a_crash(tmp_path):
    path = _write(tmp_path / "work.py", "A = 1\nif __name__ == '__main__':\n    A = 2\n"
                                        "def f():\n    return A\nraise ValueError('boom')\nB = 3\n")
    loaded = load(path)
    ns = loaded.module.__dict__
    assert ns["A"] == 1 and ns["f"]() == 1 and "B" not in ns and loaded.module.__name__ == "submission"
    assert loaded.failures["B"] == "work.py raised ValueError at line 6: boom"
    assert "f" not in loaded.failures and loaded.notes == [loaded.failures["B"]]


def test_loader_skips_autograder_and_markdown_cells_and_joins_list_sources(tmp_path):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell("A = 0"), nbformat.v4.new_code_cell("A = 1")]
    autograder = nbformat.v4.new_code_cell("raise AssertionError('autograder cell ran')")
    autograder.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "check-x", "points": 1}
    solution = nbformat.v4.new_code_cell("B = A + 1")
    solution.metadata["nbgrader"] = {"grade": True, "solution": True, "grade_id": "answer", "points": 1}
    notebook.cells += [autograder, solution]
    data = json.loads(nbformat.writes(notebook))
    data["cells"].append({"cell_type": "code", "metadata": {}, "source": ["C = ", "B * 10"], "outputs": [],
                          "execution_count": None})
    loaded = load(_write(tmp_path / "nb.ipynb", json.dumps(data)))
    ns = loaded.module.__dict__
    assert (ns["A"], ns["B"], ns["C"]) == (1, 2, 20) and not loaded.notes and not loaded.failures


def test_loader_notes_skipped_magics_shell_commands_and_exit(tmp_path):
    path = _write(tmp_path / "nb.ipynb", _notebook(
        ("%%bash\necho hi", None),
        ("!pip install numpy\nA = 1", None),
        ("exit()\nB = 1", None),
        ("C = A + 1", None),
    ))
    loaded = load(path)
    ns = loaded.module.__dict__
    assert ns["A"] == 1 and "B" not in ns and ns["C"] == 2
    assert loaded.notes == ["Skipped a %%bash cell while grading.", "Skipped a shell (!) command while grading.",
                            "nb.ipynb, cell 3 called exit(); the rest of that cell was skipped."]


def test_loader_explains_a_missing_module(tmp_path):
    loaded = load(_write(tmp_path / "nb.ipynb", _notebook(("import no_such_module_here", None))))
    assert "cell 1 raised ModuleNotFoundError" in loaded.notes[0]
    assert "The grading environment has no module 'no_such_module_here'" in loaded.notes[0]


def test_loader_problems_for_notebooks_that_are_not_notebooks(tmp_path):
    assert "nb.ipynb is empty" in load(_write(tmp_path / "nb.ipynb", "  \n")).problem
    assert "has no list of cells" in load(_write(tmp_path / "list.ipynb", "[1, 2]")).problem
    assert load(tmp_path / "missing.ipynb").problem.startswith("Cannot read ")


CONTRACT_SHAPED = '''
import ray
STATES = ("PENDING", "RUNNING", "DONE")
def model_factory(m, func):
    pass
DEFAULT_MODELS = []
@ray.remote
class Worker:
    def __init__(self, model_type, train_fn): pass
    def work(self): pass
    def state(self): pass
@ray.remote
class Supervisor:
    def __init__(self, models=None): pass
    def work(self): pass
    def state(self): pass
    def terminate(self): pass
def run_supervisor(models=None, poll_interval=0.5):
    pass
@ray.remote
class LoggingActor:
    def __init__(self): pass
    def log(self, index, message): pass
    def get_logs(self): pass
@ray.remote
def run_experiment(experiment_index, logging_actor, n_iterations=60, delay=1.0):
    pass
def run_experiments(n_experiments=3, n_iterations=60, delay=1.0):
    pass
'''


def test_shape_of_the_contract_has_no_problems(tmp_path):
    loaded = load(_write(tmp_path / "s.py", CONTRACT_SHAPED))
    assert inspect_shape(loaded.module.__dict__, loaded.failures, ACTOR_TREE.contract) == {}


def test_shape_names_the_missing_method_the_wrong_kind_and_the_load_failure(tmp_path):
    source = (CONTRACT_SHAPED.replace("    def terminate(self): pass\n", "")
              .replace("@ray.remote\ndef run_experiment(", "def run_experiment(")
              .replace("STATES = (", "STATES = 1 / 0; STATES = ("))
    loaded = load(_write(tmp_path / "s.py", source.replace("def run_supervisor(models=None, poll_interval=0.5)",
                                                           "run_supervisor = 3\ndef unused(models=None)")))
    problems = inspect_shape(loaded.module.__dict__, loaded.failures, ACTOR_TREE.contract)
    assert set(problems) == {"STATES", "Supervisor", "run_experiment", "run_supervisor", "DEFAULT_MODELS",
                             "model_factory", "Worker", "LoggingActor", "run_experiments"}  # all after the crash
    assert problems["STATES"] == "STATES is not defined because s.py raised ZeroDivisionError at line 3: " \
                                 "division by zero"
    loaded = load(_write(tmp_path / "t.py", source.replace("STATES = 1 / 0; ", "")))
    problems = inspect_shape(loaded.module.__dict__, loaded.failures, ACTOR_TREE.contract)
    assert set(problems) == {"Supervisor", "run_experiment"}
    assert problems["Supervisor"].startswith("Supervisor has no method terminate()")
    assert "run_experiment is a plain function: decorate it with @ray.remote" in problems["run_experiment"]


def test_shape_names_every_missing_method_and_every_mismatched_signature_in_one_message(tmp_path):
    """The Ray docs' Supervisor lacks state() and terminate(): one message names both, and a
    wrong signature beside them."""
    source = (CONTRACT_SHAPED.replace("    def state(self): pass\n    def terminate(self): pass\n", "")
              .replace("def run_experiments(n_experiments=3", "def run_experiments(count, n_experiments=3"))
    loaded = load(_write(tmp_path / "s.py", source))
    problems = inspect_shape(loaded.module.__dict__, loaded.failures, ACTOR_TREE.contract)
    assert problems["Supervisor"].startswith("Supervisor has no methods state() and terminate()"), problems
    assert problems["Supervisor"].endswith("Expected `class Supervisor: __init__(self, models=None); work(self); "
                                           "state(self); terminate(self)`.")
    assert problems["run_experiments"].startswith("run_experiments(count, n_experiments=3"), problems


def test_terminal_report_shows_problem_flags_notes_and_failed_feedback_only():
    specs = all_specs(ACTOR_TREE)
    report = Report("x.py", "bo", (CheckResult.passed(specs[0]), CheckResult.failed(specs[1], "saw 3 workers")),
                    flags=("Tampering: something",), notes=("Ignored ray.init().",), problem="")
    text = terminal.render(report, width=100)
    lines = text.splitlines()
    assert lines[0] == "bo  1 / 2   (x.py)"
    assert lines[1] == "  FLAG: Tampering: something"
    assert lines[2].startswith(f"  ok   {specs[0].id}") and lines[3].startswith(f"  FAIL {specs[1].id}")
    assert lines[4].strip() == "saw 3 workers" and lines[-1] == "  note: Ignored ray.init()."


def test_class_summary_names_failed_checks_or_counts_them():
    specs = all_specs(ACTOR_TREE)
    good = Report("a", "ada", tuple(CheckResult.passed(s) for s in specs))
    two = Report("b", "bo", tuple(CheckResult.failed(s, "x") if s in specs[:2] else CheckResult.passed(s)
                                  for s in specs))
    broken = Report("c", "cy", tuple(CheckResult.failed(s, "x") for s in specs), problem="c is empty: save it")
    lines = terminal.render_summary([good, two, broken]).splitlines()
    assert lines[1].split() == ["ada", "20", "/", "20", "none"]
    assert lines[2].endswith(f"{specs[0].id}, {specs[1].id}") and "18 / 20" in lines[2]
    assert lines[3].endswith("not gradable: c is empty: save it")
    assert terminal.render_summary([]) == "No submissions."


def test_json_student_view_keeps_points_and_visible_feedback_but_hides_hidden_feedback():
    specs = all_specs(ACTOR_TREE)
    report = Report("a.ipynb", "al", (CheckResult.failed(specs[0], "visible detail"),
                                      CheckResult.failed(specs[-1], "secret detail")))
    student_view = tables.to_json([report], single=True, student_view=True)
    visible, hidden = json.loads(student_view)["checks"]
    assert visible["feedback"] == "visible detail" and "secret detail" not in student_view
    assert hidden["feedback"] and (hidden["score"], hidden["max_score"]) == (0, specs[-1].points)
    assert "secret detail" in tables.to_json([report], single=True)


def test_csv_covers_every_check_any_report_ran_and_joins_flags():
    specs = all_specs(ACTOR_TREE)
    first = Report("a", "ada", (CheckResult.passed(specs[0]),), flags=("f1", "f2"))
    second = Report("b", "bo", (CheckResult.passed(specs[1]),))
    rows = list(csv.reader(io.StringIO(tables.to_csv([first, second]))))
    assert rows[0] == ["student", "submission", specs[0].id, specs[1].id, "score", "max_score", "flags"]
    assert rows[1] == ["ada", "a", "1", "0", "1", "1", "f1; f2"]
    assert rows[2] == ["bo", "b", "0", "1", "1", "1", ""]


def test_a_problem_is_in_the_json_only_when_there_is_one():
    report = Report("a", "ada", (), problem="a is empty")
    assert Report.from_json(json.loads(json.dumps(report.to_json()))).problem == "a is empty"
    assert "problem" not in Report("a", "ada", ()).to_json()


def test_the_checks_session_fixture_is_no_instance_method(tmp_path):
    """The grading plugin's `sub` fixture: an instance method is deprecated for a session fixture
    (pytest 9 warns, pytest 10 refuses: every check would be the grader's own failure)."""
    (tmp_path / "check_sub.py").write_text(
        "from grader.checks import check\n\n@check('x.sub', 'X', points=1)\ndef check_sub(sub):\n"
        "    assert sub.name == 'the grading'\n")
    script = """
import os, sys, pytest
from grader.session.plugin import GradingPlugin

class Grading:
    name = "the grading"
    def require(self, needs):
        pass
    def take_tampering(self):
        return []
    def take_deaths(self):
        return []
    def take_forgeries(self):
        return []

class Journal:
    results = []
    def started(self, check_id):
        pass
    def result(self, result, staff):
        self.results.append((result.status, staff))

code = pytest.main(["-q", "-p", "no:cacheprovider", "-c", os.devnull, "--rootdir", ".", "-o", "python_files=*.py",
                    "-o", "python_functions=check_*", "-W", "error::pytest.PytestRemovedIn10Warning", "check_sub.py"],
                   plugins=[GradingPlugin(Grading(), Journal())])
print("RESULTS", code, Journal.results)
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert "RESULTS 0 [('passed', '')]" in done.stdout, done.stdout[-3000:] + done.stderr[-3000:]


GUARDED_PROCESS = r"""
import os, sys
secret, own, classes = sys.argv[1], sys.argv[2], os.open(sys.argv[3], os.O_RDONLY)  # an allowed folder
results = []
for attempt in (lambda: open(secret).read(),
                lambda: os.read(os.open("bob/secret.py", os.O_RDONLY, dir_fd=classes), 10),
                lambda: os.unlink("bob/secret.py", dir_fd=classes),
                lambda: open(os.environ["GRADER_GUARD"]).read(),
                lambda: open(own).read(),
                lambda: open(sys.argv[4]).read()):
    try:
        attempt()
        results.append("allowed")
    except PermissionError as error:
        results.append("refused" if "off limits" in str(error) else repr(error))
gone = os.path.join(os.path.dirname(own), "gone")
os.mkdir(gone)
os.chdir(gone)
os.rmdir(gone)  # a current folder that no longer exists: relative names point nowhere known
try:
    open("../../bob/secret.py").read()
    results.append("allowed")
except PermissionError:
    results.append("refused")
except OSError:
    results.append("failed")
print(",".join(results))
"""


def test_the_guard_refuses_by_name_and_by_folder_descriptor_and_its_record_cannot_be_erased(tmp_path):
    """A real Python process with the grader's start-up hook (no Ray): the deny list holds no path in
    clear; a denied file is refused by name and through a folder descriptor; the rules are
    refused too; the student's own file is not, nor a submission graded inside a denied folder; a
    relative name from a removed current folder is refused; every refusal reached the record."""
    from grader.runtime import with_startup_path
    from grader.runtime.off_limits import AttemptRecord, OffLimits

    other = tmp_path / "class" / "bob" / "secret.py"
    own = tmp_path / "class" / "ada" / "own.py"
    in_place = tmp_path / "solutions" / "actor_tree" / "actor_tree.ipynb"  # the reference graded where it sits
    for path in (other, own, in_place):
        path.parent.mkdir(parents=True)
        path.write_text("# work")
    record_path = tmp_path / "guard.sock"
    guard = OffLimits(deny=(str(other.parent), str(in_place.parent)),
                      allow=(str(own.parent), str(in_place.parent))).write(tmp_path, [], record_path)
    assert "bob" not in guard.read_text() and str(tmp_path) not in guard.read_text().replace(str(record_path), "")
    env = with_startup_path(dict(os.environ, GRADER_GUARD=str(guard)))
    with AttemptRecord(record_path) as record:
        done = subprocess.run([sys.executable, "-c", GUARDED_PROCESS, str(other), str(own), str(own.parents[1]),
                               str(in_place)], env=env,
                              capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.stdout.strip() == "refused,refused,refused,refused,allowed,allowed,refused", done.stderr[-2000:]
    assert other.exists()
    events = [line.split("\t")[:2] for line in record.lines]
    assert events == [["open", str(other)], ["open", "bob/secret.py"], ["os.remove", "bob/secret.py"],
                      ["open", str(guard)], ["open", "../../bob/secret.py"]]
    assert record.flags()[0].startswith(f"Tampering: the code being graded tried to reach {other} (open)")


def test_the_record_of_refusals_takes_no_command_and_survives_a_flood(tmp_path):
    """An empty datagram (the old stop signal) and a flood far beyond the socket's queue: the record
    keeps reading (the sender is never stuck), keeps a bounded number of lines, and the flood is
    itself flagged (it cannot hide a refusal without being seen)."""
    import socket
    import threading

    from grader.runtime.off_limits import MAX_ATTEMPTS_KEPT, AttemptRecord

    path = tmp_path / "guard.sock"
    with AttemptRecord(path) as record:
        def flood():
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender:
                sender.sendto(b"", str(path))
                for number in range(MAX_ATTEMPTS_KEPT + 200):
                    sender.sendto(f"open\tforged-{number}\t1".encode(), str(path))
                sender.sendto(b"open\t/the/real/refusal\t2", str(path))

        sender = threading.Thread(target=flood)
        sender.start()
        sender.join(30)
        assert not sender.is_alive(), "the record stopped reading"
    assert len(record.lines) == MAX_ATTEMPTS_KEPT
    flags = record.flags(limit=1)
    assert flags[0].startswith("Tampering: the code being graded tried to reach forged-0 (open)")
    assert flags[-1] == f"... and {MAX_ATTEMPTS_KEPT - 1} more refused attempts of the same kind."


def test_the_kit_holds_every_module_the_notebook_and_the_rubric_import(tmp_path):
    """The kit's file list is derived from the rubric and the notebook's imports: a new check module
    (or a module a check starts to import) is in the wheel without being listed anywhere."""
    import zipfile

    from grader.assignment import installed
    from grader.student_kit import build

    with zipfile.ZipFile(build(tmp_path / "wheel")) as wheel:
        wheel.extractall(tmp_path / "site")
    program = ("import json, sys, grader.notebook\n"
               "from grader.assignment import installed\n"
               "from grader.checks import all_specs\n"
               "print(json.dumps({'checks': {a.name: len(all_specs(a)) for a in installed()}, 'files': {n: getattr(m, "
               "'__file__', '') for n, m in sys.modules.items() if n == 'grader' or n.startswith('grader.') or "
               "n.endswith('_checks')}}))")
    run = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": str(tmp_path / "site")}, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    loaded = json.loads(run.stdout.splitlines()[-1])
    assert loaded["checks"] == {a.name: len(all_specs(a)) for a in installed()}
    assert loaded["checks"]["actor_tree"] == len(REQUIRED_IDS)
    outside = {name: file for name, file in loaded["files"].items() if not file.startswith(str(tmp_path / "site"))}
    assert not outside, f"imported from outside the kit (not in its wheel): {outside}"


def test_every_module_of_the_rubric_is_watched_for_tampering():
    """The tamper watch takes the grader modules loaded when the snapshot is taken (a process imports
    what it will use first): replacing a check in any rubric module, or a helper it imports, is
    seen and put back."""
    import importlib

    from grader.checks import SPEC_ATTRIBUTE, rubric_modules
    from grader.session.integrity import Snapshot

    rubric = rubric_modules(ACTOR_TREE)
    snapshot = Snapshot()
    targets = []
    for module in rubric:
        targets.append((module, next(n for n, v in vars(module).items() if hasattr(v, SPEC_ATTRIBUTE) and callable(v))))
    helpers = importlib.import_module("grader.checks.evidence")
    targets.append((helpers, next(n for n, v in vars(helpers).items()
                                  if callable(v) and getattr(v, "__module__", "") == helpers.__name__)))
    originals = [getattr(module, name) for module, name in targets]
    for module, name in targets:
        setattr(module, name, lambda *args, **kwargs: None)
    reported = snapshot.restore()
    for (module, name), original in zip(targets, originals, strict=True):
        assert f"{module.__name__}.{name}" in reported, (module.__name__, name, reported)
        assert getattr(module, name) is original


def test_an_assignment_is_read_from_its_folder():
    from grader.assignment import installed

    assignment = ACTOR_TREE
    assert [a.name for a in installed()] == ["actor_tree", "pool"]
    assert assignment.title == "Ray actor tree"
    assert assignment.source.is_file() and assignment.release.is_file()
    assert assignment.source.name == assignment.release.name == assignment.notebook == "actor_tree.ipynb"
    assert [s.id for s in all_specs(assignment)] == list(REQUIRED_IDS)  # its rubric is the contract's
    contract = {expected.name: expected for expected in assignment.contract}
    assert list(contract) == ["STATES", "DEFAULT_MODELS", "model_factory", "Worker", "Supervisor", "run_supervisor",
                              "LoggingActor", "run_experiment", "run_experiments"]
    assert contract["Worker"].calls[0] == ("__init__", ("lr", None), {})
    assert find(str(assignment.folder)) == assignment  # by its folder too


def test_a_broken_assignment_folder_is_named_with_what_to_do(tmp_path):
    from grader.assignment import AssignmentError, read

    folder = tmp_path / "queue"
    folder.mkdir()
    (folder / "assignment.json").write_text('{\n  "title": "Pool",\n}\n')
    (folder / "queue.ipynb").write_text("{}")
    with pytest.raises(AssignmentError, match=r"queue/assignment.json, line 3: not JSON .*\{\"title\": \"...\""):
        read(folder)
    (folder / "assignment.json").write_text('{"name": "Pool"}')
    with pytest.raises(AssignmentError, match=r'assignment.json: needs "title" \(the column name a course sees\)'):
        read(folder)
    (folder / "assignment.json").write_text('{"title": "Pool", "rubric": "checks", "contract": []}')
    with pytest.raises(AssignmentError, match=r'needs "rubric" \(the modules of its @check functions\)'):
        read(folder)
    (folder / "assignment.json").write_text('{"title": "Pool", "rubric": ["checks"], '
                                            '"contract": [{"name": "Pool", "kind": "class", "signature": "x"}]}')
    with pytest.raises(AssignmentError, match=r"\"contract\": Pool: kind 'class' is none of 'actor class'"):
        read(folder)
    (folder / "assignment.json").write_text('{"title": "Pool", "rubric": ["checks"], "contract": []}')
    assert read(folder).rubric == ("checks",)
    (folder / "other.ipynb").write_text("{}")
    with pytest.raises(AssignmentError, match=r"exactly one notebook; it holds 2 \(other.ipynb, queue.ipynb\)"):
        read(folder)
    with pytest.raises(AssignmentError, match=r"no assignment 'queue' is installed \(installed: actor_tree, pool\)"):
        find("queue")


@pytest.mark.slow
def test_the_wheel_holds_every_assignment_folder(tmp_path):
    """`pip install .` (the README's first command) installs the assignments inside the package."""
    import zipfile

    from grader.assignment import installed

    import shutil

    root, source = Path(__file__).resolve().parents[1], tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "grader", "solutions", "assignments"):  # setuptools writes build/
        if (root / name).is_dir():
            shutil.copytree(root / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copyfile(root / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path), str(source)],
                   check=True, capture_output=True, timeout=600)
    wheel, = tmp_path.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(tmp_path / "site")
    program = ("import json; from grader.assignment import installed; "
               "print(json.dumps([[a.name, a.title, a.source.is_file(), a.release.is_file(), str(a.source)] "
               "for a in installed()]))")
    run = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120, cwd=tmp_path,
                         env={**os.environ, "PYTHONPATH": str(tmp_path / "site")})
    assert run.returncode == 0, run.stderr[-2000:]
    found = json.loads(run.stdout)
    assert [row[:4] for row in found] == [[a.name, a.title, True, True] for a in installed()]
    assert all(source.startswith(str(tmp_path / "site" / "grader" / "data")) for *_, source in found), found
    # A Gradescope zip built from that install holds the chosen assignment alone, where its image finds it.
    zipped = subprocess.run([sys.executable, "-m", "grader", "--gradescope-autograder", str(tmp_path / "gs.zip"),
                             "--assignment", "pool"], capture_output=True, text=True, timeout=300, cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": str(tmp_path / "site")})
    assert zipped.returncode == 0, zipped.stderr[-2000:]
    with zipfile.ZipFile(tmp_path / "gs.zip") as archive:
        names = archive.namelist()
    assert "solutions/pool/assignment.json" in names and not [n for n in names if n.startswith("grader/data/")]
    assert not [n for n in names if "/actor_tree/" in n], [n for n in names if "/actor_tree/" in n]


def test_the_judge_reads_the_lengths_of_lists_from_the_text(tmp_path):
    """A list of the contract (DEFAULT_MODELS) is counted from the submission's text: a later
    reassignment to something else, which the host's count would follow, hides nothing."""
    from grader.judge.source import read_declared

    path = tmp_path / "sub.py"
    path.write_text("DEFAULT_MODELS = [1, 2, 3]\nSTATES = ('a', 'b')\nDEFAULT_MODELS = _Short(DEFAULT_MODELS)\n")
    assert read_declared(path).lengths == {"DEFAULT_MODELS": 3, "STATES": 2}


def test_the_judge_reads_which_class_a_name_binds_and_its_concurrency(tmp_path):
    """`LoggingActor = ray.remote(LogStore)`: Ray records its actors as LogStore, and the options
    given on the way (max_concurrency, through a named constant) are the class's as the text
    declares them; a name given something else somewhere is more than one, as far as it says."""
    from grader.judge.source import read_declared

    path = tmp_path / "sub.py"
    path.write_text(textwrap.dedent("""
        import ray
        ONE = 1
        MANY = 1
        MANY = 8
        SOME = 1

        def grow():
            global SOME
            SOME = 5

        class LogStore:
            async def log(self): ...

        @ray.remote(max_concurrency=ONE)
        class Worker: ...

        @ray.remote(max_concurrency=SOME)
        class Other: ...

        LoggingActor = ray.remote(max_concurrency=ONE)(LogStore)
        Busy = ray.remote(LogStore).options(max_concurrency=MANY)
        Plain = Worker
        handle = Worker.remote()

        def run():
            return Plain.options(max_concurrency=4).remote()
    """))
    declared = read_declared(path)
    assert declared.class_names("LoggingActor") == {"LoggingActor", "LogStore"}
    assert declared.class_names("Plain") == {"Plain", "Worker"}
    assert declared.class_names("Supervisor") == {"Supervisor"}
    assert "handle" not in declared.bound
    assert declared.concurrency("LoggingActor") == (["log"], 1)
    assert declared.concurrency("Worker") == ([], 1)
    assert declared.concurrency("Plain") == ([], 4)
    assert declared.concurrency("Busy") == (["log"], 8)
    assert declared.concurrency("Other") == ([], 2)


def test_the_judge_decodes_numpy_numbers_as_the_numbers_they_equal():
    """An experiment numbered by np.arange is numbered: numpy integers, bools and floats decode
    (from their bytes, numpy never imported for it) as plain ones; other numpy values stay placeholders."""
    import pickle

    import numpy as np

    from grader.judge.safe_ray import Foreign, safe_loads

    value = {np.int64(2): [np.float32(0.5), np.bool_(True), np.uint8(255), np.int16(-3)], "text": np.str_("x")}
    decoded = safe_loads(pickle.dumps(value, protocol=5))
    assert list(decoded) == [2, "text"] and type(list(decoded)[0]) is int
    assert decoded[2] == [0.5, True, 255, -3] and [type(v) for v in decoded[2]] == [float, bool, int, int]
    assert isinstance(decoded["text"], Foreign)


def test_a_stand_in_is_reached_by_every_name_of_the_remote_function_it_replaces():
    """A launcher made when the code was loaded (`launch = run_experiment.options(...)`) or an alias
    calls the grader's stand-in while it stands in, with the options given (a resource option is
    the stand-in's to drop); the submission's own function afterwards."""
    import ray

    from grader.checks.probes import stand_in

    def run_experiment(index):
        return index

    original = ray.remote(run_experiment)
    launch, alias = original.options(num_cpus=1, max_retries=0), original
    calls = []

    class StandIn:
        def options(self, **options):
            return types.SimpleNamespace(remote=lambda *args, **kwargs: calls.append((args, kwargs, options)))

    namespace = {"run_experiment": original}
    put_back = stand_in(namespace, "run_experiment", StandIn())
    launch.remote(1)
    alias.remote(index=2)
    assert [(args, kwargs) for args, kwargs, _ in calls] == [((1,), {}), ((), {"index": 2})]
    assert calls[0][2]["num_cpus"] == 1 and calls[0][2]["max_retries"] == 0 and "max_calls" not in calls[1][2]
    put_back()
    assert namespace["run_experiment"] is original and "_remote" not in vars(original)


def test_two_assignments_may_both_call_their_rubric_checks(tmp_path, monkeypatch):
    """A rubric module beside its notebook is that assignment's, whatever another one beside its
    own notebook is called; and a bare name is an installed assignment's, never a folder of the
    current directory (where a student's files may be)."""
    from grader.assignment import AssignmentError, read

    folders = []
    for name in ("first", "second"):
        folder = tmp_path / name
        folder.mkdir()
        (folder / f"{name}.ipynb").write_text("{}")
        (folder / "assignment.json").write_text(json.dumps({"title": name, "rubric": ["checks"], "contract": []}))
        (folder / "checks.py").write_text(f"from grader.checks import check\n\n\n@check('{name}.one', 'one', points=1)"
                                          "\ndef check_one(sub):\n    pass\n")
        folders.append(folder)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delitem(sys.modules, "checks", raising=False)
    first, second = (read(folder) for folder in folders)
    assert [s.id for s in all_specs(first)] == ["first.one"]
    assert [s.id for s in all_specs(second)] == ["second.one"]
    assert [s.id for s in all_specs(first)] == ["first.one"]
    monkeypatch.chdir(tmp_path)
    with pytest.raises(AssignmentError, match="no assignment 'first' is installed"):
        find("first")
    assert find("./first") == first


def test_with_several_assignments_the_submission_tells_which(tmp_path):
    """Two installed: a file tells its assignment by its notebook's name, its nbgrader folder, or
    the contract names it defines; a class of both, or a file that tells nothing, is refused with
    what to do; a kernel's namespace tells by its definitions."""
    from grader.assignment import AssignmentError, of_names, of_submissions, read

    counter = tmp_path / "counter"
    counter.mkdir()
    (counter / "counter.ipynb").write_text("{}")
    (counter / "assignment.json").write_text(json.dumps({"title": "Ray counter", "rubric": ["checks"], "contract": [
        {"name": "Counter", "kind": "actor class", "signature": "class Counter: add(self, n)"},
        {"name": "START", "kind": "value", "signature": "START: int"}]}))
    both = [ACTOR_TREE, read(counter)]
    renamed = _write(tmp_path / "class" / "mine.py", "import ray\n\nSTART: int = 0\n\n@ray.remote\nclass Counter:\n"
                     "    def add(self, n):\n        return n\n")
    in_nbgrader = _write(tmp_path / "submitted" / "ada" / "counter" / "whatever.ipynb", "not even JSON")
    by_name = _write(tmp_path / "elsewhere" / "actor_tree.ipynb", "{}")
    assert of_submissions([str(renamed)], both).name == "counter"
    assert of_submissions([str(in_nbgrader)], both).name == "counter"
    assert of_submissions([str(by_name)], both).name == "actor_tree"
    assert of_submissions([str(tmp_path / "class"), str(in_nbgrader)], both).name == "counter"  # a folder: its files
    with pytest.raises(AssignmentError, match=r"several assignments \(.*actor_tree.ipynb is actor_tree.*: grade each"):
        of_submissions([str(renamed), str(by_name)], both)
    vague = _write(tmp_path / "vague.py", "x = 1\n")
    with pytest.raises(AssignmentError, match=r"several assignments are installed \(actor_tree, counter\) and .*vague"):
        of_submissions([str(vague)], both)
    with pytest.raises(AssignmentError, match=r"installed \(actor_tree, counter\): name the one to use"):
        of_submissions([], both)
    assert of_submissions([str(vague)], both[:1]).name == "actor_tree"  # one installed: nothing to tell
    assert of_names({"Supervisor", "Worker", "run_supervisor", "LoggingActor", "run_experiment", "run_experiments",
                     "STATES", "DEFAULT_MODELS", "model_factory", "ray"}, both).name == "actor_tree"
    assert of_names({"Counter", "START", "Worker"}, both).name == "counter"
    with pytest.raises(AssignmentError, match="defines none of their names yet: run its cells from the top"):
        of_names({"ray", "Worker"}, both)  # a ninth of the actor tree's, nothing of the counter's
    assert of_names({"ray", "Worker"}, both[:1]).name == "actor_tree"  # one installed: any of its names will do
    with pytest.raises(AssignmentError, match=r"defines none of the names of Ray actor tree \(STATES, .*grade "
                                              r"--assignment DIR NOTEBOOK"):
        of_names({"ray", "squares"}, both[:1])  # another assignment's notebook, being written


def test_the_kit_drops_the_helpers_only_a_hidden_check_used(tmp_path, monkeypatch):
    from grader.student_kit import without_hidden_checks

    source = textwrap.dedent('''
        import pytest
        from grader.checks import CheckFailed, check


        @pytest.fixture(scope="module")
        def secret_scenario(sub):
            return _secret_rule(3)


        def _secret_rule(n):
            return _deeper_secret(n) * 2


        def _deeper_secret(n):
            return n + 40


        def _shared(n):
            return n


        @check("toy.visible", "visible", points=1)
        def check_visible(sub):
            if _shared(1) != 1:
                raise CheckFailed("no")


        @check("toy.hidden", "hidden", points=2, hidden=True)
        def check_hidden(sub, secret_scenario):
            if _shared(secret_scenario) != 86:
                raise CheckFailed("no")
        ''')
    (tmp_path / "toy_rubric.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    import toy_rubric

    kit = without_hidden_checks(source, toy_rubric)
    for gone in ("secret_scenario", "_secret_rule", "_deeper_secret", "n + 40", "86"):
        assert gone not in kit, (gone, kit)
    assert "def _shared" in kit and "def check_visible" in kit and "instructor_only('toy.hidden'" in kit
    compile(kit, "toy_rubric.py", "exec")
