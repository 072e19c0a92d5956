"""The rubric. Each check is one `check_*` function in the modules listed in CHECK_MODULES,
decorated with `@check(...)`, which puts its metadata right beside it.

The check functions run as pytest tests inside the grading process of one submission
(see grader.session); this package only declares them.
"""

from __future__ import annotations

import functools
import importlib

import pytest

from grader.records import HIDDEN, VISIBLE, CheckSpec

CHECK_MODULES = ("grader.checks.supervisor", "grader.checks.logging_actor")
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


def instructor_only_ids() -> set[str]:
    """Ids of the checks this installation knows by name only."""
    found = set()
    for module_name in CHECK_MODULES:
        for value in vars(importlib.import_module(module_name)).values():
            if isinstance(value, InstructorOnly):
                found.add(getattr(value, SPEC_ATTRIBUTE).id)
    return found


def all_specs() -> list[CheckSpec]:
    """Every check in rubric order (module order, then definition order)."""
    specs = []
    for module_name in CHECK_MODULES:
        module = importlib.import_module(module_name)
        for value in vars(module).values():
            spec = getattr(value, SPEC_ATTRIBUTE, None)
            if spec is not None and spec not in specs:
                specs.append(spec)
    return specs


REQUIRED_IDS = (
    "supervisor.actor_classes",
    "supervisor.one_worker_per_model",
    "supervisor.work_nonblocking",
    "supervisor.trains_each_model",
    "supervisor.state_values",
    "supervisor.terminate_kills_workers",
    "supervisor.run_supervisor",
    "supervisor.running_visible",
    "logging.actor_class",
    "logging.log_and_get",
    "logging.run_experiment_messages",
    "logging.run_experiments_complete",
    "logging.ordering_per_worker",
    "logging.parallel",
    "logging.no_leaks",
)

__all__ = ["CheckFailed", "check", "instructor_only", "instructor_only_ids", "all_specs", "REQUIRED_IDS", "VISIBLE",
           "HIDDEN"]
