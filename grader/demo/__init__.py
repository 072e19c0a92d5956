"""The bundled sample class: the reference, the untouched stub, and typical mistakes.

A mistake is the reference solution with one definition replaced (the assignment's
mistakes/*.py holds only the replacement, under a docstring that names the checks it must fail);
`build_class` writes each as a complete submission, as a student would hand it in.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

from grader.assignment import Assignment, find
from grader.course_notebooks import notebook_code


def compose(reference: str, override: str) -> str:
    """The reference code with the override's definitions appended (later definitions win), or
    inserted before a line of the reference if its docstring says `Insert-before: <text>`."""
    marker = docstring_field(override, "Insert-before")
    if marker:
        lines = reference.splitlines()
        at = next(i for i, line in enumerate(lines) if marker in line)
        while at > 0 and lines[at - 1].startswith("@"):
            at -= 1
        return "\n".join(lines[:at] + ["# ---- changed by this submission ----", override, ""] + lines[at:]) + "\n"
    return reference.rstrip() + "\n\n\n# ---- changed by this submission ----\n" + override


def docstring_field(source: str, name: str) -> str:
    """The value of the field `name:` in the module docstring of `source` ("" if it has none).

    A field is a docstring line starting with `name:`; its value runs on over the indented lines
    under it, joined with single spaces:

        Fails: logging.parallel
               logging.no_leaks
        Insert-before: class LoggingActor
    """
    lines = (ast.get_docstring(ast.parse(source)) or "").splitlines()
    for at, line in enumerate(lines):
        if line.startswith(f"{name}:"):
            value = [line[len(name) + 1:]]
            for more in lines[at + 1:]:
                if not more[:1].isspace():
                    break
                value.append(more)
            return " ".join(" ".join(value).split())
    return ""


def expected_failures(source: str) -> set[str]:
    """Check ids in the override's `Fails:` field (space or comma separated; `none` for none)."""
    return set(docstring_field(source, "Fails").replace(",", " ").split()) - {"none"}


def build_class(target: Path, *, mistakes=None, assignment: Assignment | None = None) -> Path:
    """Write the sample class of `assignment` (the only one installed, without it) into
    target/<student>/<notebook>.(ipynb|py); return target."""
    assignment = assignment or find()
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    for student, notebook in (("reference", assignment.source), ("untouched-stub", assignment.release)):
        (target / student).mkdir(exist_ok=True)
        shutil.copyfile(notebook, target / student / assignment.notebook)
    reference = notebook_code(assignment.source)
    for override in sorted(assignment.mistakes.glob("*.py")) if mistakes is None else mistakes:
        folder = target / override.stem.replace("_", "-")
        folder.mkdir(exist_ok=True)
        (folder / assignment.notebook).with_suffix(".py").write_text(compose(reference, override.read_text()))
    return target
