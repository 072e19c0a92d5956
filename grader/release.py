"""Make the student version of the assignment with nbgrader's own `generate_assignment`.

`python -m grader.release` rewrites assignments/actor_tree/actor_tree.ipynb from
solutions/actor_tree/actor_tree.ipynb; the test suite regenerates it and fails on any drift.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from grader.course_files import NOTEBOOK, solution_notebook

ASSIGNMENT = "actor_tree"


def tool_environment() -> dict:
    """nbgrader runs `alembic` by name: find it beside this interpreter even in a venv that is not activated."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def generate(source: Path, output: Path) -> Path:
    """Run `nbgrader generate_assignment` on `source` in a throw-away course; write the result to `output`."""
    with tempfile.TemporaryDirectory(prefix="nbgrader-course-") as course:
        course = Path(course)
        (course / "source" / ASSIGNMENT).mkdir(parents=True)
        shutil.copyfile(source, course / "source" / NOTEBOOK)
        (course / "nbgrader_config.py").write_text("c = get_config()\nc.CourseDirectory.course_id = 'actor-tree'\n")
        command = [sys.executable, "-m", "nbgrader", "generate_assignment", ASSIGNMENT, "--force",
                   f"--CourseDirectory.root={course}"]
        done = subprocess.run(command, cwd=course, capture_output=True, text=True, timeout=300, env=tool_environment())
        produced = course / "release" / NOTEBOOK
        if done.returncode != 0 or not produced.exists():
            raise RuntimeError(f"nbgrader generate_assignment failed ({done.returncode}):\n"
                               f"{done.stdout}\n{done.stderr}")
        output.parent.mkdir(parents=True, exist_ok=True)
        notebook = json.loads(produced.read_text())
        output.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n")
    return output


def main() -> int:
    source = solution_notebook()
    output = source.parents[2] / "assignments" / NOTEBOOK
    generate(source, output)
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
