"""What the judge reads from the submission's text: parsed with `ast`, never run.

Two kinds of fact a rubric needs are properties of the student's code, not of anything it does
that the judge can watch: how an actor class is declared (an `async def` method or
max_concurrency > 1: whether Ray keeps one caller's calls in order) and how many entries a list
of the contract holds (the actor tree's DEFAULT_MODELS). The host
reports both, but the host is the submission's own process and its report a claim; the text it
was loaded from is the submission itself. The judge reads that text too and keeps the stricter
answer, so a patched report can hide nothing that is written in the code.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass, field
from pathlib import Path

MAX_SOURCE_BYTES = 20 * 1024 * 1024
"""A larger submission is not parsed (it would cost the judge's memory): its claims stand alone."""


@dataclass(frozen=True)
class Declared:
    lengths: dict = field(default_factory=dict)
    """{name: entries of the last `name = [...]` (or tuple) written at the top level} (a later
    `name = <an expression>` does not hide it: the text says what the list holds)."""
    classes: dict = field(default_factory=dict)
    """{class name: (its `async def` methods, the max_concurrency its @ray.remote(...) declares)}."""

    def concurrency(self, class_name: str) -> tuple[list[str], int]:
        return self.classes.get(class_name, ([], 1))


def read_declared(path: Path) -> Declared:
    """What the submission at `path` (.py or .ipynb) declares; nothing where it cannot be parsed."""
    try:
        raw = Path(path).read_bytes()
        if len(raw) > MAX_SOURCE_BYTES:
            return Declared()
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return Declared()
    sources = _notebook_sources(text) if Path(path).suffix == ".ipynb" else [text]
    lengths, classes = {}, {}
    for source in sources:
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue  # the loader reports it; an unparsable cell declares nothing
        for node in tree.body:
            if isinstance(node, ast.Assign) and isinstance(node.value, (ast.List, ast.Tuple)):
                lengths.update({t.id: len(node.value.elts) for t in node.targets if isinstance(t, ast.Name)})
            elif isinstance(node, ast.ClassDef):
                classes[node.name] = (_async_methods(node), _max_concurrency(node))
    return Declared(lengths, classes)


def _notebook_sources(text: str) -> list[str]:
    from grader.session.loader import code_cells, transform

    try:
        notebook = json.loads(text)
    except (ValueError, RecursionError):
        return []
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    return [transform(source) for _, source in code_cells(cells if isinstance(cells, list) else [])]


def _async_methods(node: ast.ClassDef) -> list[str]:
    return [item.name for item in node.body if isinstance(item, ast.AsyncFunctionDef)]


def _max_concurrency(node: ast.ClassDef) -> int:
    declared = 1
    for decorator in node.decorator_list:
        for keyword in decorator.keywords if isinstance(decorator, ast.Call) else ():
            if keyword.arg == "max_concurrency":
                value = keyword.value
                # Not a constant (a variable, an expression): more than one, as far as the text says.
                declared = max(declared, value.value if isinstance(value, ast.Constant)
                               and isinstance(value.value, int) else 2)
    return declared
