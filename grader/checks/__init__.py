"""How a rubric is written, and read. Each check is one `check_*` function, decorated with
`@check(...)`, which puts its metadata right beside it, in the modules an assignment's record
lists (grader.assignment): that list is the rubric, in order. This package also holds the
helpers a check has (deadlines on Ray calls, probes, observation of processes, feedback).

The check functions run as pytest tests inside the grading process of one submission
(see grader.session); this package only declares them.
"""

from __future__ import annotations

import functools
import importlib

import pytest

from grader.assignment import Assignment, find
from grader.records import HIDDEN, VISIBLE, CheckSpec

SPEC_ATTRIBUTE = "__grader_check__"


class CheckFailed(AssertionError):
    """Raised by a check with the feedback the student reads: observed, expected, Ray rule."""


def check(id: str, name: str, *, points: float, timeout: float = 60.0, hidden: bool = False,
          needs: tuple[str, ...] = ()):
    """Declare a check: its id, name, points, timeout, visibility and the names it uses."""
    spec = CheckSpec(id=id, name=name, points=points, visibility=HIDDEN if hidden else VISIBLE,
                     timeout=timeout, needs=tuple(needs))

    def decorate(function):
        @functools.wraps(function)
        def run(*args, **kwargs):
            grading = kwargs.get("sub") or (args[0] if args else None)
            if grading is not None:
                grading.require(spec.needs)
            return function(*args, **kwargs)

        setattr(run, SPEC_ATTRIBUTE, spec)
        # pytest-timeout backstop; the checks keep their own, shorter deadlines on every Ray call.
        return pytest.mark.timeout(spec.timeout, method="signal")(run)

    return decorate


class InstructorOnly:
    """A hidden check whose code is not in this installation (the students' kit holds its place in
    the rubric, its name and points, and no line of what it checks)."""

    def __init__(self, spec: CheckSpec):
        setattr(self, SPEC_ATTRIBUTE, spec)


def instructor_only(id: str, name: str, *, points: float, timeout: float = 60.0) -> InstructorOnly:
    """Declare a hidden check that only the instructor's installation can run."""
    return InstructorOnly(CheckSpec(id=id, name=name, points=points, visibility=HIDDEN, timeout=timeout))


def rubric_modules(assignment: Assignment | None = None) -> list:
    """The modules of the assignment's checks (the only one installed, if not named), imported."""
    assignment = assignment or find()
    assignment.importable()
    return [importlib.import_module(name) for name in assignment.rubric]


def instructor_only_ids(assignment: Assignment | None = None) -> set[str]:
    """Ids of the checks this installation knows by name only."""
    return {getattr(value, SPEC_ATTRIBUTE).id for module in rubric_modules(assignment)
            for value in vars(module).values() if isinstance(value, InstructorOnly)}


def all_specs(assignment: Assignment | None = None) -> list[CheckSpec]:
    """Every check in rubric order (module order, then definition order)."""
    specs = []
    for module in rubric_modules(assignment):
        for value in vars(module).values():
            spec = getattr(value, SPEC_ATTRIBUTE, None)
            if spec is not None and spec not in specs:
                specs.append(spec)
    return specs


__all__ = ["CheckFailed", "check", "instructor_only", "instructor_only_ids", "all_specs", "rubric_modules", "VISIBLE",
           "HIDDEN"]
