"""Turn a submission file into a module of the student's definitions, without its demos.

A notebook is run cell by cell into one module: cells tagged `demo` are skipped, IPython
magics are neutralised, and a cell that fails or runs too long is reported and skipped while
the rest still load, so one broken cell costs only the checks that need what it defines.
A `.py` file runs as a module named `submission` (so `if __name__ == "__main__":` blocks are
skipped); if it fails halfway, the names defined before the failure are kept.
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import re
import signal
import sys
import time
import traceback
import types
from dataclasses import dataclass, field
from pathlib import Path

import ray
from ray import cloudpickle

MODULE_NAME = "submission"
DEMO_TAGS = {"demo", "skip-grading"}
CELL_SECONDS = 30.0
MAGICS_THAT_RUN_THE_CELL = {"time", "timeit", "capture", "prun"}


@dataclass
class Loaded:
    module: types.ModuleType | None
    problem: str = ""
    """Set when nothing could be loaded at all."""
    notes: list[str] = field(default_factory=list)
    """Per-cell failures and skipped parts, in the student's words of place (cell N, line M)."""
    failures: dict[str, str] = field(default_factory=dict)
    """Where a failing cell tried to define names: {name: why it is missing}."""


class CellTimeout(BaseException):
    """Raised in the main thread when one cell runs longer than CELL_SECONDS."""


class _QuietShell:
    """Stands in for `get_ipython()` so that magics in a notebook do nothing while grading."""

    def __init__(self, namespace: dict, notes: list[str]):
        self._namespace = namespace
        self._notes = notes

    def run_line_magic(self, name, line, *args, **kwargs):
        self._notes.append(f"Skipped the magic %{name} while grading.")

    def run_cell_magic(self, name, line, body, *args, **kwargs):
        if name in MAGICS_THAT_RUN_THE_CELL:
            exec(compile(transform(body), f"<%%{name} cell>", "exec"), self._namespace)
        else:
            self._notes.append(f"Skipped a %%{name} cell while grading.")

    def system(self, *args, **kwargs):
        self._notes.append("Skipped a shell (!) command while grading.")

    getoutput = system


def transform(source: str) -> str:
    """A notebook cell's source as Python (its IPython magics turned into calls)."""
    try:  # IPython is imported for notebooks only, and may be missing: plain Python cells still load
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:
        return source
    return TransformerManager().transform_cell(source)


def _new_module(path: Path) -> types.ModuleType:
    module = types.ModuleType(MODULE_NAME)
    module.__file__ = str(path)
    sys.modules[MODULE_NAME] = module
    # The module is not importable in Ray workers: pickle its classes and functions by value.
    cloudpickle.register_pickle_by_value(module)
    return module


def load(path: Path) -> Loaded:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        return Loaded(None, problem=f"Cannot read {path}: {error.strerror}.")
    if path.suffix == ".ipynb":
        return _load_notebook(path, raw)
    return _load_python(path, raw)


def _decode(path: Path, raw: bytes) -> tuple[str, str]:
    try:
        return raw.decode("utf-8"), ""
    except UnicodeDecodeError as error:
        return "", (f"{path.name} is not UTF-8 text (byte {error.start}): save it again as UTF-8 "
                    "(in JupyterLab: File > Save), then resubmit.")


def _load_python(path: Path, raw: bytes) -> Loaded:
    source, problem = _decode(path, raw)
    if problem:
        return Loaded(None, problem=problem)
    try:
        code = compile(source, str(path), "exec")
    except SyntaxError as error:
        return Loaded(None, problem=_syntax_message(error, path.name))
    module = _new_module(path)
    loaded = Loaded(module)
    failure = _run(code, module.__dict__, f"{path.name}", timeout=CELL_SECONDS * 4)
    if failure:
        loaded.notes.append(failure)
        for name in _names_defined(source):
            if name not in module.__dict__:
                loaded.failures[name] = failure
    return loaded


def _load_notebook(path: Path, raw: bytes) -> Loaded:
    text, problem = _decode(path, raw)
    if problem:
        return Loaded(None, problem=problem)
    if not text.strip():
        return Loaded(None, problem=(f"{path.name} is empty: the notebook was not saved, or was emptied. Open your "
                                     "copy in JupyterLab, save it (File > Save), and submit again."))
    try:
        notebook = json.loads(text)
    except json.JSONDecodeError as error:
        return Loaded(None, problem=(
            f"{path.name} is not a valid notebook: JSON error at line {error.lineno}, column {error.colno} "
            f"({error.msg}). It was probably damaged by an editor; restore it from a checkpoint "
            "(File > Revert Notebook to Checkpoint) or re-download the assignment and copy your code over."))
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        return Loaded(None, problem=f"{path.name} has no list of cells: it is not a Jupyter notebook (nbformat 4).")
    module = _new_module(path)
    loaded = Loaded(module)
    namespace = module.__dict__
    namespace["get_ipython"] = lambda: _QuietShell(namespace, loaded.notes)
    namespace["display"] = lambda *args, **kwargs: None
    for number, source in code_cells(cells):
        where = f"{path.name}, cell {number}"
        try:
            code = compile(transform(source), where, "exec")
        except SyntaxError as error:
            message = _syntax_message(error, where)
            loaded.notes.append(message)
            for name in _names_defined(source, tolerant=True):
                loaded.failures.setdefault(name, message)
            continue
        failure = _run(code, namespace, where, timeout=CELL_SECONDS)
        if failure:
            loaded.notes.append(failure)
            for name in _names_defined(source, tolerant=True):
                if name not in namespace:
                    loaded.failures.setdefault(name, failure)
    return loaded


def code_cells(cells: list):
    """(number, source) of each code cell that grading runs: not a demo, not an autograder test,
    not empty."""
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        metadata = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
        tags = set(metadata.get("tags") or ())
        if tags & DEMO_TAGS or _is_autograder_test(metadata) or not source.strip():
            continue
        yield number, source


def _is_autograder_test(metadata: dict) -> bool:
    """nbgrader's autograder cells run the rubric in the kernel; here the grader runs it itself."""
    nbgrader = metadata.get("nbgrader")
    return isinstance(nbgrader, dict) and bool(nbgrader.get("grade")) and not nbgrader.get("solution")


def _run(code, namespace: dict, where: str, *, timeout: float) -> str:
    """Execute one cell; return "" or a message saying where and why it failed."""

    def on_alarm(signum, frame):
        raise CellTimeout()

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        with _bounded_ray_waits(time.monotonic() + timeout):
            exec(code, namespace)
        return ""
    except CellTimeout:
        return (f"{where} was still running after {timeout:.0f} s and was stopped. Move long-running "
                "demo code under `if not GRADING:` (or tag the cell `demo`).")
    except SystemExit:
        return f"{where} called exit(); the rest of that cell was skipped."
    except BaseException as error:  # the student's code may raise anything
        return f"{where} raised {_describe(error, where)}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def _bounded_ray_waits(deadline: float):
    """A signal cannot interrupt a blocked ray.get (Ray drops it), so while a cell loads, ray.get
    and ray.wait wait at most until the cell's deadline and then raise GetTimeoutError. Once the
    cell is done the wrappers pass calls through unchanged (a cell may have kept a reference)."""
    real_get, real_wait = ray.get, ray.wait
    loading = [True]

    def left(timeout):
        if not loading[0]:
            return timeout
        remaining = max(0.01, deadline - time.monotonic())
        return remaining if timeout is None else min(timeout, remaining)

    def get(refs, *args, timeout=None, **kwargs):
        return real_get(refs, *args, timeout=left(timeout), **kwargs)

    def wait(refs, *args, timeout=None, **kwargs):
        return real_wait(refs, *args, timeout=left(timeout), **kwargs)

    ray.get, ray.wait = get, wait
    try:
        yield
    finally:
        loading[0] = False
        ray.get, ray.wait = real_get, real_wait


def _describe(error: BaseException, where: str) -> str:
    name = where.split(",")[0]
    frames = [f for f in traceback.extract_tb(error.__traceback__) if os.path.basename(f.filename).startswith(name)]
    line = f" at line {frames[-1].lineno}" if frames else ""
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    hint = ""
    if isinstance(error, ModuleNotFoundError):
        hint = (f". The grading environment has no module {error.name!r}: remove that import, or ask your "
                "instructor to add the package")
    return f"{type(error).__name__}{line}{': ' + text[:300] if text else ''}{hint}"


def _syntax_message(error: SyntaxError, where: str) -> str:
    code_line = (error.text or "").rstrip()
    pointer = f"\n    {code_line}" if code_line else ""
    return f"SyntaxError in {where}, line {error.lineno}: {error.msg}.{pointer}\nFix it and run the cell again."


def _names_defined(source: str, *, tolerant: bool = False) -> list[str]:
    """Top-level names a piece of source defines (class, def, assignment); a rough scan if it does not parse."""
    try:
        tree = ast.parse(transform(source))
    except SyntaxError:
        if not tolerant:
            return []
        pattern = r"^(?:class|def)\s+([A-Za-z_]\w*)|^([A-Za-z_]\w*)\s*="
        return [a or b for a, b in re.findall(pattern, source, flags=re.M)]
    names = []
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names.extend(t.id for t in node.targets if isinstance(t, ast.Name))
    return names
