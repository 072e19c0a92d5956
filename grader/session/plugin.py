"""pytest plugin for one grading process: gives checks the `sub` fixture and turns each test's
outcome into a CheckResult the moment it is known (written to the journal at once, so a
process that dies later loses nothing already graded)."""

from __future__ import annotations

import os
import time

import pytest

from grader.checks import SPEC_ATTRIBUTE, CheckFailed
from grader.records import CheckResult
from grader.session.integrity import TAMPERED_FEEDBACK, tamper_flag

DIED = ("The process running your code ended abruptly during this check (exit status {code}): your code called "
        "os._exit() or crashed the Python interpreter. The other checks were run again in a new process.")
FORGED = ("A report from the grader's instruments during this check could not have come from them ({what}), so "
          "the check cannot be scored; your instructor has been told.")
GRADER_ERROR = ("The grader itself failed on this check (not your code's fault as far as it can tell); "
                "your instructor has the details.")


class GradingPlugin:
    def __init__(self, grading, journal, only=()):
        self.journal = journal
        self.only = set(only)
        self._tampered: dict[str, list[str]] = {}
        self._died: dict[str, object] = {}
        self._forged: dict[str, list[str]] = {}
        self._started: dict[str, float] = {}
        self._failure: dict[str, tuple[str, str]] = {}
        self._specs_by_nodeid = {}
        self.grading = grading

    @pytest.fixture(scope="session")
    @staticmethod
    def sub(request):
        """What every check receives: see grader.session.context.Grading. A static method that finds
        its plugin: a session fixture that is an instance method is deprecated (pytest 9) and an
        error from pytest 10 on, which would fail every check as the grader's own failure."""
        plugin = next(p for p in request.config.pluginmanager.get_plugins() if isinstance(p, GradingPlugin))
        return plugin.grading

    def pytest_collection_modifyitems(self, items):
        items[:] = [item for item in items
                    if _spec(item) is not None and (not self.only or _spec(item).id in self.only)]

    def pytest_runtest_logstart(self, nodeid, location):
        self._started[nodeid] = time.monotonic()

    def pytest_runtest_protocol(self, item, nextitem):
        self.journal.started(_spec(item).id)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        replaced = self.grading.take_tampering()
        if replaced:
            self._tampered.setdefault(item.nodeid, []).extend(replaced)
        forged = self.grading.take_forgeries()
        if forged:
            self._forged.setdefault(item.nodeid, []).extend(forged)
        deaths = self.grading.take_deaths()
        if deaths:
            self._died.setdefault(item.nodeid, deaths[0])
        if report.failed and item.nodeid not in self._failure:
            self._failure[item.nodeid] = _feedback(call.excinfo, _spec(item))

    def pytest_runtest_logfinish(self, nodeid, location):
        item_spec = self._specs_by_nodeid.get(nodeid)
        if item_spec is None:
            return
        seconds = time.monotonic() - self._started.get(nodeid, time.monotonic())
        if nodeid in self._tampered:
            names = self._tampered[nodeid]
            self.journal.tampered(item_spec.id, tamper_flag(names, f"during {item_spec.id}"))
            feedback = TAMPERED_FEEDBACK.format(names=", ".join(names[:5]))
            self.journal.result(CheckResult.failed(item_spec, feedback, seconds), "")
        elif nodeid in self._forged:
            what = "; ".join(self._forged[nodeid][:3])
            self.journal.tampered(item_spec.id, f"Forged evidence during {item_spec.id}: {what}.")
            self.journal.result(CheckResult.failed(item_spec, FORGED.format(what=what), seconds), "")
        elif nodeid in self._died:
            self.journal.result(CheckResult.failed(item_spec, DIED.format(code=self._died[nodeid]), seconds), "")
        elif nodeid in self._failure:
            feedback, staff = self._failure[nodeid]
            self.journal.result(CheckResult.failed(item_spec, feedback, seconds), staff)
        else:
            self.journal.result(CheckResult.passed(item_spec, seconds), "")

    def pytest_collection_finish(self, session):
        self._specs_by_nodeid = {item.nodeid: _spec(item) for item in session.items}


def run_checks(grading, journal, rubric: list, only=(), *, rootdir) -> int:
    """Run the rubric's check modules (imported) under pytest with this plugin; pytest's exit code."""
    check_files = [module.__file__ for module in rubric]
    # Where plugins are not found by their entry points (the judge), the one the checks need is named.
    named = ["-p", "pytest_timeout"] if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD") else []
    return pytest.main(["-q", "-s", *named, "-p", "no:cacheprovider", "-p", "no:logging", "-c", os.devnull,
                        "--rootdir", str(rootdir), "-o", "python_files=*.py", "-o", "python_functions=check_*",
                        *check_files],
                       plugins=[GradingPlugin(grading, journal, only)])


def _spec(item):
    return getattr(getattr(item, "function", None), SPEC_ATTRIBUTE, None)


def _feedback(excinfo, spec) -> tuple[str, str]:
    """(what the student reads, what only staff read)."""
    if excinfo is None:
        return GRADER_ERROR, "failed without an exception"
    error = excinfo.value
    if isinstance(error, CheckFailed):
        return str(error), ""
    text = str(error)
    if isinstance(error, pytest.fail.Exception) and text.lstrip().startswith("Timeout"):
        return (f"This check did not finish within its {spec.timeout:g} s limit: some call into your code "
                "never returned (an infinite loop, or waiting for something that never happens)."), text[:2000]
    return GRADER_ERROR, excinfo.getrepr(style="short").__str__()[-4000:]
