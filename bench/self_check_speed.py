"""Benchmark: the notebook's self-check in a plain kernel of a students' environment.

    python bench/self_check_speed.py                 # builds the kit and a venv (about a minute)
    python bench/self_check_speed.py --venv DIR      # reuse (or create) that venv

The environment is what a student has: the students' kit (`grade --student-kit`) and JupyterLab,
nothing else; the kernel starts with no environment variable of ours (a plain `jupyter lab`).
A complete solution runs its Setup cell, then `self_check()`; the time of that call is printed,
with the kit's start-up hook (actor_tree_kit.pth) and without it, side by side. Target: at most
20 s with it on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
from grader.assignment import find

ACTOR_TREE = find("actor_tree")

ROOT = Path(__file__).resolve().parents[1]
CHECK_CELL = """import json, time
from grader.notebook import self_check
started = time.monotonic()
results = self_check()
print("SELF_CHECK" + json.dumps({"seconds": time.monotonic() - started,
                                 "passed": sum(r.status == "passed" for r in results), "of": len(results)}))"""
RUN = """
import sys
import nbformat
from nbclient import NotebookClient

notebook = nbformat.read(sys.argv[1], as_version=4)
NotebookClient(notebook, timeout=900, kernel_name="python3").execute()
print("".join(o.get("text", "") for o in notebook.cells[-1].outputs))
"""


def _venv(path: Path) -> Path:
    python = path / "bin" / "python"
    if not python.exists():
        from grader.student_kit import build

        wheel = build(path.parent / "kit-wheel")
        subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(wheel), "jupyterlab", "nbclient"],
                       check=True)
    return python


def _notebook(folder: Path) -> Path:

    notebook = nbformat.read(ACTOR_TREE.source, as_version=4)
    notebook.cells = [c for c in notebook.cells if c.cell_type == "code" and "demo" not in c.metadata.get("tags", [])
                      and not (c.metadata.get("nbgrader", {}).get("grade") and not c.metadata["nbgrader"]["solution"])]
    notebook.cells.append(nbformat.v4.new_code_cell(CHECK_CELL))
    path = folder / "self_check.ipynb"
    nbformat.write(notebook, path)
    return path


def _self_check(python: Path, notebook: Path, folder: Path) -> dict:
    script = folder / "run.py"
    script.write_text(RUN)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ACTOR_TREE", "NBGRADER", "RAY_ADDRESS"))}
    env.pop("PYTHONPATH", None)
    with tempfile.TemporaryDirectory(prefix="bench-", dir="/tmp") as ray_tmp:
        env["RAY_TMPDIR"] = ray_tmp  # a Ray cluster of its own, with short socket paths
        done = subprocess.run([str(python), str(script), str(notebook)], capture_output=True, text=True, env=env,
                              cwd=folder, timeout=900)
    found = re.search(r"SELF_CHECK(\{.*\})", done.stdout)
    if not found:
        raise SystemExit(f"the self-check did not report:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return json.loads(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--venv", type=Path, help="the students' venv to use (created if missing)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-self-check-") as scratch:
        folder = Path(scratch)
        python = _venv((args.venv or folder / "venv").resolve())
        site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                   capture_output=True, text=True, check=True, cwd=folder).stdout.strip())
        notebook = _notebook(folder)
        hook, parked = site / "actor_tree_kit.pth", site / "actor_tree_kit.pth.parked"
        with_hook = _self_check(python, notebook, folder)
        hook.rename(parked)
        try:
            without_hook = _self_check(python, notebook, folder)
        finally:
            parked.rename(hook)
    print(f"self-check of a complete solution in a plain kernel (students' kit + JupyterLab), "
          f"{with_hook['passed']}/{with_hook['of']} passed")
    print(f"  with the kit's start-up hook:    {with_hook['seconds']:.1f} s   (target: at most 20 s)")
    print(f"  without it (Ray workers pay the rfc3987_syntax import): {without_hook['seconds']:.1f} s")


if __name__ == "__main__":
    main()
