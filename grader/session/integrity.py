"""What grading relies on, which a submission must not replace: Ray's calls, `time`, pytest's
reporting, and the grader's own modules. A snapshot is taken before the student's code loads;
after loading and after every check, whatever was replaced (an attribute, or a function's code
swapped in place) is put back and reported, so a patch cannot raise a score silently: the check
it happened in fails, and the report is flagged for the instructor.

This runs in the process the submission's code runs in, so code written to defeat this very
module could; the threat model in the README says what needs a container.
"""

from __future__ import annotations

import importlib
import inspect
import sys

OUTSIDE_MODULES = (
    "ray", "ray.actor", "ray.remote_function", "ray.exceptions", "time", "os", "signal",
    "pytest", "_pytest.runner", "_pytest.reports", "_pytest.python", "_pytest.outcomes", "pluggy",
)
"""Ray's, Python's and pytest's modules that grading calls into."""


def watched_modules() -> tuple[str, ...]:
    """OUTSIDE_MODULES and every grader module loaded in this process by now. The grader's part is
    read off sys.modules rather than listed: whatever module the rubric adds is watched once it is
    imported, so take the snapshot after importing what the process will use."""
    loaded = sorted(name for name in sys.modules if name == "grader" or name.startswith("grader."))
    return OUTSIDE_MODULES + tuple(loaded)


class Snapshot:
    def __init__(self, modules: tuple[str, ...] | None = None):
        self.modules = watched_modules() if modules is None else tuple(modules)
        self._entries: list[tuple[object, str, object, object]] = []
        """(owner, attribute, original value, original __code__ or None)"""
        self._inner_codes: list[tuple[object, object, str]] = []
        for module_name in self.modules:
            try:
                module = importlib.import_module(module_name)
            except ImportError:
                continue
            self._take(module, module_name, classes=module_name.startswith(("grader.", "_pytest.")))

    def _take(self, owner, label: str, *, classes: bool) -> None:
        for name, value in list(vars(owner).items()):
            if name.startswith("__") or inspect.ismodule(value):
                continue
            if callable(value) or isinstance(value, (staticmethod, classmethod, property)):
                self._entries.append((owner, name, value, getattr(value, "__code__", None)))
                inner, depth = getattr(value, "__wrapped__", None), 1
                while inner is not None and depth < 5:  # decorated functions: the code inside counts too
                    if hasattr(inner, "__code__"):
                        self._inner_codes.append((inner, inner.__code__, _label(owner, name) + ".__wrapped__"))
                    inner, depth = getattr(inner, "__wrapped__", None), depth + 1
                if classes and inspect.isclass(value) and value.__module__ == getattr(owner, "__name__", ""):
                    self._take(value, f"{label}.{name}", classes=False)

    def restore(self) -> list[str]:
        """Put back everything replaced since the snapshot; the names of what was."""
        changed = []
        for owner, name, value, code in self._entries:
            current = vars(owner).get(name, _MISSING)
            if current is not value:
                changed.append(_label(owner, name))
                try:
                    setattr(owner, name, value)
                except (AttributeError, TypeError):
                    pass
            elif code is not None and getattr(value, "__code__", None) is not code:
                changed.append(_label(owner, name) + ".__code__")
                value.__code__ = code
        for function, code, label in self._inner_codes:
            if function.__code__ is not code:
                changed.append(label + ".__code__")
                function.__code__ = code
        return changed


_MISSING = object()


def tamper_flag(replaced: list[str], when: str) -> str:
    shown = ", ".join(replaced[:8]) + (f" and {len(replaced) - 8} more" if len(replaced) > 8 else "")
    return f"Tampering: the submission replaced {shown} {when}; the grader put them back."


TAMPERED_FEEDBACK = ("Your code replaced part of the grading machinery during this check ({names}), so the "
                     "check cannot be scored; your instructor has been told.")


def _label(owner, name: str) -> str:
    base = getattr(owner, "__name__", type(owner).__name__)
    module = getattr(owner, "__module__", "")
    if inspect.isclass(owner) and module:
        base = f"{module}.{base}"
    return f"{base}.{name}"
