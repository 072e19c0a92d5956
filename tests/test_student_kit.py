"""Hidden stays hidden: the students' kit (`grade --student-kit DIR`), installed alone in a fresh
venv, holds no line of the reference solutions and no code of the hidden check, and the notebook's
self-check works from it with the verdicts `grade` gives on the visible checks."""

from __future__ import annotations

import inspect
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest

from conftest import solution_leaks, solution_lines
from grader import grade
from grader.assignment import installed
from grader.checks import all_specs
from grader.checks.logging_actor import check_no_leaks
from test_course import PART1, with_solutions
from conftest import ACTOR_TREE

pytestmark = [pytest.mark.slow, pytest.mark.ray]
VISIBLE = tuple(s.id for s in all_specs(ACTOR_TREE) if s.visibility == "visible")
RUN_SELF_CHECK = """
import json, sys, time
import nbformat
from nbclient import NotebookClient

notebook = nbformat.read(sys.argv[1], as_version=4)
NotebookClient(notebook, timeout=600, kernel_name="python3").execute()
print(json.dumps([[o.get("name", o.get("output_type")), o.get("text", "")] for c in notebook.cells[-2:]
                  for o in c.outputs]))
"""
CHECK_CELL = """import json, time
from grader.notebook import self_check
started = time.monotonic()
results = self_check()
import grader
print("SELF_CHECK" + json.dumps({"verdicts": {r.id: r.status for r in results}, "grader": grader.__file__,
                                 "seconds": time.monotonic() - started}))"""
HIDDEN_CELL = 'from grader.notebook import autograde_check\nautograde_check("logging.no_leaks")'


def _run(*command, **kwargs):
    done = subprocess.run([str(c) for c in command], capture_output=True, text=True, timeout=900, **kwargs)
    assert done.returncode == 0, f"{command} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def kit(tmp_path_factory):
    """The kit built by the real CLI and installed, with a kernel and nothing else, in a fresh venv."""
    base = tmp_path_factory.mktemp("kit")
    built = _run(sys.executable, "-m", "grader", "--student-kit", base / "wheel")
    pip_line = next(line.strip() for line in built.stdout.splitlines() if line.strip().startswith("pip install "))
    wheel = Path(pip_line.split(maxsplit=2)[2])
    venv = base / "venv"
    _run(sys.executable, "-m", "venv", venv)
    python = venv / "bin" / "python"
    _run(python, "-m", "pip", "install", "--quiet", wheel, "ipykernel", "nbclient", "nbformat")
    purelib = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = Path(_run(python, "-c", purelib, cwd=base).stdout.strip())
    record = next(site.glob("actor_tree_grader_kit-*.dist-info")) / "RECORD"
    installed = [site / line.split(",")[0] for line in record.read_text().splitlines() if line.strip()]
    return {"python": python, "site": site, "installed": installed, "wheel": wheel, "base": base}


def test_the_kit_is_one_pip_command_and_the_grader_it_installs_is_the_kits(kit):
    files = {path.relative_to(kit["site"]).as_posix() for path in kit["installed"]}
    assert "grader/notebook.py" in files and "actor_tree_kit.pth" in files
    assert not [f for f in files if "solution" in f or "/demo/" in f or "nbgrader" in f]
    # Its notebooks are the student versions, each beside its assignment's record (grader.assignment).
    notebooks = sorted(f for f in files if f.endswith(".ipynb"))
    assert notebooks == [f"grader/data/assignments/{a.name}/{a.notebook}" for a in installed()]
    for assignment, notebook in zip(installed(), notebooks, strict=True):
        assert (kit["site"] / notebook).read_bytes() == assignment.release.read_bytes()
    where = _run(kit["python"], "-c", "import grader.notebook; print(grader.notebook.__file__)",
                 cwd=kit["base"]).stdout.strip()  # not the checkout: it would shadow the kit
    assert where.startswith(str(kit["site"])), where


def test_no_line_of_the_solutions_and_no_code_of_the_hidden_check_is_installed(kit):
    regions = solution_lines()
    assert sum(map(len, regions)) > 30  # the scan has something to look for
    hidden = [line.strip() for line in inspect.getsource(check_no_leaks).splitlines() if len(line.strip()) >= 20]
    assert len(hidden) > 5
    leaks = {}
    for path in kit["installed"]:
        text = path.read_text(errors="replace")
        found = solution_leaks(text, regions) + [line for line in hidden if line in text]
        if found:
            leaks[str(path)] = found
    assert not leaks, leaks


def test_the_self_check_in_the_kit_gives_grade_s_verdicts_and_the_hidden_cell_defers(kit, tmp_path):
    notebook_path = tmp_path / "actor_tree.ipynb"
    notebook_path.write_text(ACTOR_TREE.release.read_text())
    with_solutions(notebook_path, PART1)  # Part 1 solved, Part 3 still stubs: a mixed verdict
    notebook = nbformat.read(notebook_path, as_version=4)
    notebook.cells = [c for c in notebook.cells if c.cell_type == "code" and "demo" not in c.metadata.get("tags", [])
                      and not c.metadata.get("nbgrader", {}).get("grade")]
    notebook.cells += [nbformat.v4.new_code_cell(CHECK_CELL), nbformat.v4.new_code_cell(HIDDEN_CELL)]
    kit_notebook = tmp_path / "kit.ipynb"
    nbformat.write(notebook, kit_notebook)
    script = tmp_path / "run.py"
    script.write_text(RUN_SELF_CHECK)
    with tempfile.TemporaryDirectory(prefix="kit-", dir="/tmp") as ray_tmp:  # short socket paths, a cluster of its own
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ACTOR_TREE", "NBGRADER", "RAY_ADDRESS"))}
        env.pop("PYTHONPATH", None)
        env["RAY_TMPDIR"] = ray_tmp
        outputs = json.loads(_run(kit["python"], script, kit_notebook, env=env, cwd=tmp_path).stdout.splitlines()[-1])
    printed = "".join(text for _, text in outputs)
    found = json.loads(re.search(r"SELF_CHECK(\{.*\})", printed).group(1))
    verdicts = found["verdicts"]
    assert found["grader"].startswith(str(kit["site"])), found["grader"]  # the kit's, not the checkout's

    by_grade = {c.id: c.status for c in grade([str(notebook_path)], only=VISIBLE)[0].checks}
    assert set(by_grade) == set(VISIBLE)
    assert verdicts == by_grade, (verdicts, by_grade)
    assert {i for i, status in verdicts.items() if status == "passed"} == {i for i in VISIBLE
                                                                           if i.startswith("supervisor.")}
    assert "logging.no_leaks" in printed and "your instructor grades this check" in printed
    assert not [name for name, _ in outputs if name in ("stderr", "error")], outputs
