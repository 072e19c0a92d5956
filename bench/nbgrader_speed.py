"""Benchmark: the same collected notebooks graded by `grade --nbgrader` and by plain `nbgrader
autograde`, side by side (issue 9's goal: `grade` at least 6x faster).

    python bench/nbgrader_speed.py          # 4 students, each with the reference answers
    python bench/nbgrader_speed.py -n 6

A course made by `grade --new-course`, its assignment generated and released by nbgrader; each
student's submission is the released notebook with the solutions written in (as a student would),
placed where `nbgrader collect` puts it. Then `grade --nbgrader actor_tree` (defaults: --jobs auto)
and `nbgrader autograde actor_tree --force` (one kernel per submission, one after another, each
running the notebook's cells and its autograder cells) grade the same files. Both times, the
ratio and a yardstick (as in bench/grade_speed.py) are printed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from grader.assignment import find

ACTOR_TREE = find("actor_tree")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from grade_speed import yardstick  # noqa: E402  (a sibling script, not a package)

ASSIGNMENT = "actor_tree"


def run(*command: str, cwd: Path) -> float:
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    started = time.monotonic()
    done = subprocess.run(list(command), cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return time.monotonic() - started


def solved_copy(released: Path, target: Path) -> None:
    """The released notebook with every solution cell answered from the reference."""
    reference = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source
                 for c in nbformat.read(ACTOR_TREE.source, as_version=4).cells}
    notebook = nbformat.read(released, as_version=4)
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and meta.get("grade_id") in reference:
            cell.source = reference[meta["grade_id"]]
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, target)
    (target.parent / "timestamp.txt").write_text("2026-12-01 12:00:00.000000 UTC")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=4, help="students")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="bench-nbgrader-"))
    try:
        root = base / "course"
        run("grade", "--new-course", str(root), "--exchange", str(base / "exchange"), cwd=base)
        run("nbgrader", "generate_assignment", ASSIGNMENT, cwd=root)
        released = root / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        for i in range(args.n):
            solved_copy(released, root / "submitted" / f"student-{i}" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
        before = yardstick()
        ours = run("grade", "--nbgrader", ASSIGNMENT, cwd=root)
        shutil.rmtree(root / "autograded", ignore_errors=True)
        plain = run("nbgrader", "autograde", ASSIGNMENT, "--force", cwd=root)
        after = yardstick()
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print(f"yardstick (bare Ray start+stop): {before:.1f} s before, {after:.1f} s after")
    print(f"{args.n} collected notebooks, grade --nbgrader (defaults): {ours:.1f} s = {ours / args.n:.1f} s each "
          "(gradebook, autograded/ and feedback/ included)")
    print(f"the same, plain nbgrader autograde:                 {plain:.1f} s = {plain / args.n:.1f} s each")
    print(f"grade is {plain / ours:.1f}x faster (goal: at least 6x)")


if __name__ == "__main__":
    main()
