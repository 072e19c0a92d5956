"""What the judge reads from the submission's text: parsed with `ast`, never run.

Three kinds of fact a rubric needs are properties of the student's code, not of anything it does
that the judge can watch: how an actor class is declared (an `async def` method or
max_concurrency > 1: whether Ray keeps one caller's calls in order), which class a name of the
contract binds (`LoggingActor = ray.remote(LogStore)`: Ray records its actors as LogStore) and
how many entries a list of the contract holds (the actor tree's DEFAULT_MODELS). The host
reports two of them, but the host is the submission's own process and its report a claim; the text it
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
    """{name: (the `async def` methods of the class it binds, the largest max_concurrency written for
    it)}: a class statement's name, and a top-level name bound to a class written in the text
    (`Name = ray.remote(max_concurrency=2)(Store)`: options added on the way count, as do those of
    a `Name.options(...)` anywhere)."""
    bound: dict = field(default_factory=dict)
    """{name: the class statement's name it binds last}: the name Ray records for its actors."""

    def concurrency(self, class_name: str) -> tuple[list[str], int]:
        return self.classes.get(class_name, ([], 1))

    def class_names(self, name: str) -> set[str]:
        """The names Ray may record for actors of the contract's class `name`."""
        return {name, self.bound.get(name, name)}


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
    trees = []
    for source in sources:
        try:
            trees.append(ast.parse(source))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue  # the loader reports it; an unparsable cell declares nothing
    constants = _int_constants(trees)
    lengths, classes, bound = {}, {}, {}
    for node in (node for tree in trees for node in tree.body):
        targets = [t.id for t in node.targets if isinstance(t, ast.Name)] if isinstance(node, ast.Assign) else []
        if targets and isinstance(node.value, (ast.List, ast.Tuple)):
            lengths.update({target: len(node.value.elts) for target in targets})
        elif isinstance(node, ast.ClassDef):
            classes[node.name] = (_async_methods(node), _max_concurrency(node.decorator_list, constants))
            bound[node.name] = node.name
        elif targets:
            target_class, options = _bound_class(node.value, bound)
            if target_class is not None:
                methods, limit = classes[target_class]
                for target in targets:
                    classes[target] = (methods, max(limit, _max_concurrency(options, constants)))
                    bound[target] = bound[target_class]
    # Started with other options anywhere (LoggingActor.options(max_concurrency=16).remote() in a
    # function): its actors run as those options say.
    for call in (node for tree in trees for node in ast.walk(tree) if isinstance(node, ast.Call)):
        started = call.func.value.id if isinstance(call.func, ast.Attribute) and call.func.attr == "options" \
            and isinstance(call.func.value, ast.Name) else None
        if started in classes:
            methods, limit = classes[started]
            classes[started] = (methods, max(limit, _max_concurrency([call], constants)))
    return Declared(lengths, classes, bound)


def _bound_class(value: ast.expr, bound: dict) -> tuple[str | None, list[ast.expr]]:
    """(the name of the class an expression wraps, the calls on the way), for `ray.remote(Store)`,
    `ray.remote(num_cpus=0)(Store)`, `ray.remote(Store).options(...)` or a plain `Store`; (None, [])
    for anything else."""
    calls = []
    while True:
        if isinstance(value, ast.Name):
            return (value.id, calls) if value.id in bound else (None, [])
        if isinstance(value, ast.Call):
            calls.append(value)
            wrapped = [a for a in value.args if isinstance(a, ast.Name) and a.id in bound]
            if wrapped:
                return wrapped[0].id, calls
            value = value.func
        elif isinstance(value, ast.Attribute) and value.attr != "remote":  # Store.remote(): an actor, no class
            value = value.value
        else:
            return None, []


def _int_constants(trees: list[ast.Module]) -> dict[str, int]:
    """{name: the largest int it is given} for the top-level names only ever given int literals,
    and never declared `global` in a function (which could give them anything)."""
    values: dict[str, list] = {}
    for tree in trees:
        for node in tree.body:
            if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                given = node.value if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
                for target in targets:
                    for name in ast.walk(target):
                        if isinstance(name, ast.Name):
                            literal = isinstance(given, ast.Constant) and type(given.value) is int \
                                and isinstance(target, ast.Name)
                            values.setdefault(name.id, []).append(given.value if literal else None)
        for node in ast.walk(tree):
            if isinstance(node, ast.Global):
                for name in node.names:
                    values.setdefault(name, []).append(None)
    return {name: max(given) for name, given in values.items() if None not in given}


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


def _max_concurrency(calls: list[ast.expr], constants: dict[str, int]) -> int:
    """The largest max_concurrency=... among the calls (a class's decorators, the calls that wrap it)."""
    declared = 1
    for call in calls:
        for keyword in call.keywords if isinstance(call, ast.Call) else ():
            if keyword.arg == "max_concurrency":
                value = keyword.value
                if isinstance(value, ast.Constant) and type(value.value) is int:
                    declared = max(declared, value.value)
                elif isinstance(value, ast.Name) and value.id in constants:
                    declared = max(declared, constants[value.id])
                else:  # an expression, or a name given something else somewhere: more than one, as far as it says
                    declared = max(declared, 2)
    return declared
