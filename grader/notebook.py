"""The rubric inside a Jupyter kernel: the student's self-check and nbgrader's autograder cells.

Both run the very check functions that `grade` runs (under pytest, with the same fixtures and
timeouts), against the definitions in the kernel's namespace and on the Ray session the notebook
already started. In a notebook:

    from grader.notebook import self_check
    self_check()                                   # visible checks, a table

and in an nbgrader autograder cell (the source notebook has one per check):

    from grader.notebook import autograde_check
    autograde_check("logging.parallel")            # raises if the check fails

The whole rubric runs once per kernel, on the first autograder cell; each cell then reports its
own check, so checks that share a fixture (the three run_experiments calls) agree with each
other and with `grade`. Nothing reaches stderr while checks run: nbgrader scores 0 for any
autograder cell that writes to stderr, and Ray's workers and the student's code both may.
"""

from __future__ import annotations

import contextlib
import html
import inspect
import io
import os
import sys
import tempfile
import time
from pathlib import Path

from grader.assignment import AssignmentError, of_names
from grader.checks import all_specs, instructor_only_ids, rubric_modules
from grader.report.terminal import render
from grader.notebook_session import (SETUP_ADVICE, ResourceWatch, borrowed_session, no_cpu_reason, not_judged,
                                     session_cpus)
from grader.records import PASSED, VISIBLE, CheckResult, Report
from grader.session.context import Grading
from grader.session.plugin import run_checks
from grader.session.shape import contract_methods, inspect_shape

STALE_HINT = ("These are the definitions as they are in this kernel now: re-run the cells you changed "
              "before checking.")


class CheckNotPassed(AssertionError):
    """An autograder cell's check failed (nbgrader scores the cell 0)."""


class _Namespace:
    """The kernel's globals, seen as the module the checks expect (`sub.module.__dict__` is them,
    so the checks' temporary swaps reach the student's functions)."""

    def __init__(self, namespace: dict):
        self.__dict__ = namespace


class _Collector:
    """Takes the grading plugin's journal events in memory."""

    def __init__(self, on_result=None):
        self.results: dict[str, CheckResult] = {}
        self.staff: dict[str, str] = {}
        self._on_result = on_result

    watch = None
    """The ResourceWatch of the run, told which check is running."""

    def started(self, check_id: str) -> None:
        if self.watch is not None:
            self.watch.current_check = check_id

    def result(self, result: CheckResult, staff: str) -> None:
        self.results[result.id] = result
        self.staff[result.id] = staff
        if self._on_result is not None:
            self._on_result(result)


def run_checks_here(namespace: dict, *, only: tuple[str, ...] = (),
                    on_result=None) -> tuple[list[CheckResult], list[str]]:
    """Run the checks (all, or `only`) against `namespace` in this process; (results in rubric
    order, notes). Never raises: a check that could not run is failed with the reason."""
    try:
        assignment = of_names(set(namespace))  # the one whose names this notebook defines
    except AssignmentError as error:
        return [], [f"Not checked: {error}"]
    elsewhere = instructor_only_ids(assignment)
    specs = [s for s in all_specs(assignment) if (not only or s.id in only) and s.id not in elsewhere]
    collector = _Collector(on_result)
    notes: dict[str, None] = {}
    watch = None
    try:
        with tempfile.TemporaryDirectory(prefix="self-check-") as scratch, borrowed_session(notes), _silenced():
            cpus = session_cpus()
            if cpus < 1:
                notes[f"Not judged: {no_cpu_reason(cpus)}. {SETUP_ADVICE}"] = None
                return [not_judged(CheckResult.failed(s, ""), no_cpu_reason(cpus)) for s in specs], list(notes)
            grading = Grading(_Namespace(namespace), inspect_shape(namespace, {}, assignment.contract), "",
                              Path(scratch) / "checks", actor_methods=contract_methods(assignment.contract))
            with ResourceWatch(namespace) as watch:
                collector.watch = watch
                try:
                    run_checks(grading, collector, rubric_modules(assignment), [s.id for s in specs], rootdir=scratch)
                except BaseException as error:  # KeyboardInterrupt included: report what was graded
                    notes[f"Checking stopped early: {type(error).__name__}."] = None
                finally:
                    grading.close()
    except Exception as error:  # the session itself failed (Ray would not start, or was stopped)
        notes[f"The checks could not use this kernel's Ray session ({type(error).__name__}: {error}). "
              f"{SETUP_ADVICE}"] = None
    results = [collector.results.get(s.id) or CheckResult.failed(s, "This check did not run to the end.")
               for s in specs]
    return (watch.judge(results) if watch is not None else results), list(notes)


@contextlib.contextmanager
def _silenced():
    """Send everything written while checks run (Python streams and the file descriptors that
    Ray's C++ core and subprocesses write to) to a scratch file."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = {fd: os.dup(fd) for fd in (1, 2)}
    sink = tempfile.TemporaryFile()
    buffer = io.StringIO()
    try:
        for fd in saved:
            os.dup2(sink.fileno(), fd)
        with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
            yield
    finally:
        for fd, copy in saved.items():
            os.dup2(copy, fd)
            os.close(copy)
        sink.close()


# -- nbgrader autograder cells ---------------------------------------------------------------------

_rubric_results: dict[tuple, dict[str, CheckResult]] = {}
"""The whole rubric's results for one state of the student's definitions: run once, on the first
autograder cell; a student who re-runs an edited cell gets a fresh run."""


_graded_definitions: list = []


def _contract_names(namespace: dict) -> list[str]:
    return [expected.name for expected in of_names(set(namespace)).contract]


def _definitions_state(namespace: dict) -> tuple:
    return (id(namespace),) + tuple(id(namespace.get(name)) for name in _contract_names(namespace))


def autograde_check(check_id: str) -> None:
    """One nbgrader autograder cell: print the passed check, or raise CheckNotPassed with the
    feedback (for a hidden check, the points only)."""
    __tracebackhide__ = True
    if os.environ.get("ACTOR_TREE_GRADING"):
        return  # inside `grade`, which runs every check itself, in its own process
    namespace = _caller_globals()
    assignment = of_names(set(namespace))
    specs = {s.id: s for s in all_specs(assignment)}
    if check_id not in specs:
        raise ValueError(f"No check {check_id!r}; the checks are: {', '.join(specs)}")
    if check_id in instructor_only_ids(assignment):
        points = f"{specs[check_id].points:g} point" + ("" if specs[check_id].points == 1 else "s")
        _say(f"{check_id}: {specs[check_id].name} ({points}, hidden): your instructor grades this check; it does "
             "not run here.")
        return
    state = _definitions_state(namespace)
    results = _rubric_results.get(state)
    if results is None:
        found, _ = run_checks_here(namespace)
        _rubric_results.clear()  # keep only the latest
        results = _rubric_results[state] = {r.id: r for r in found}
        _graded_definitions[:] = [namespace.get(e) for e in _contract_names(namespace)]  # their ids stay theirs
    result = results[check_id]
    if result.status == PASSED:
        _say(result.cell_text)
        return
    raise CheckNotPassed(result.cell_text) from None


def _say(text: str):
    """One write, then a flush: print() writes the text and its newline apart, and the kernel may
    send them as two outputs of the cell."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _caller_globals() -> dict:
    """The globals of whoever called our caller: the notebook's namespace."""
    frame = inspect.currentframe()
    try:
        return frame.f_back.f_back.f_globals
    finally:
        del frame


# -- the student's self-check ----------------------------------------------------------------------

def self_check(namespace: dict | None = None):
    """Run the visible checks on the definitions in this kernel and show a table as each check
    finishes. Returns the results (a list of CheckResult)."""
    namespace = namespace if namespace is not None else _caller_globals()
    try:
        visible = tuple(s.id for s in all_specs(of_names(set(namespace))) if s.visibility == VISIBLE)
    except AssignmentError as error:
        print(f"Not checked: {error}")
        return []
    started = time.monotonic()
    done: list[CheckResult] = []
    display = _Display()
    display.show(render_html(done, [], running=True))

    def on_result(result):
        done.append(result)
        display.show(render_html(done, [], running=True))

    results, notes = run_checks_here(namespace, only=visible, on_result=on_result)
    display.show(render_html(results, notes, seconds=time.monotonic() - started))
    if not display.rich:
        print(render_text(results, notes))
    return results


class _Display:
    """An updatable HTML output in Jupyter; nothing (the text table comes at the end) elsewhere."""

    def __init__(self):
        self.rich = "ipykernel" in sys.modules and _in_kernel()
        self._handle = None

    def show(self, markup: str) -> None:
        if not self.rich:
            return
        from IPython.display import HTML, display  # only in a kernel, where IPython is there

        if self._handle is None:
            self._handle = display(HTML(markup), display_id=True)
        else:
            self._handle.update(HTML(markup))


def _in_kernel() -> bool:
    try:  # the self-check also runs in plain Python (grade's tests, a script), without IPython
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


LEFT = "text-align:left;vertical-align:top"
"""JupyterLab right-aligns table cells; prose reads left to right."""
HEADINGS = ("result", "check", "points", "feedback")


def render_html(results: list[CheckResult], notes: list[str], *, running: bool = False,
                seconds: float = 0.0) -> str:
    score = sum(r.score for r in results)
    total = sum(r.max_score for r in results)
    if running:
        title = f"Self-check running: {len(results)} checks done so far ..."
    else:
        title = (f"Self-check: {score:g} / {total:g} points on the visible checks "
                 f"({sum(r.status == PASSED for r in results)} of {len(results)} passed, {seconds:.0f} s)")
    rows = []
    for r in results:
        ok = r.status == PASSED
        mark = "&#10004; passed" if ok else "&#10008; failed"
        color = "#1a7f37" if ok else "#cf222e"
        feedback = "" if ok else html.escape(r.student_feedback).replace("\n", "<br>")
        rows.append(
            f'<tr class="check {r.status}" data-check="{html.escape(r.id)}">'
            f'<td style="{LEFT};color:{color};white-space:nowrap">{mark}</td>'
            f'<td style="{LEFT}"><code>{html.escape(r.id)}</code><br>{html.escape(r.name)}</td>'
            f'<td style="{LEFT};white-space:nowrap">{r.score:g}/{r.max_score:g}</td>'
            f'<td style="{LEFT}">{feedback}</td></tr>')
    note_items = "".join(f"<li>{html.escape(n)}</li>" for n in [*notes, STALE_HINT])
    return (f'<div class="actor-tree-self-check"><p><b>{html.escape(title)}</b></p>'
            "<table><thead><tr>" + "".join(f'<th style="{LEFT}">{h}</th>' for h in HEADINGS) + "</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>"
            f"<ul>{note_items}</ul>"
            "<p>The hidden check is not run here; it counts in the final grade.</p></div>")


def render_text(results: list[CheckResult], notes: list[str]) -> str:
    report = Report(submission="this kernel", student="self-check", checks=tuple(results),
                    notes=tuple([*notes, STALE_HINT]))
    return render(report, student_view=True)
