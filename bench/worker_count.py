"""Benchmark: how many Ray worker processes one reference submission starts, and which scenario
started each (issue 24: the rubric's process diet).

    python bench/worker_count.py            # the whole rubric, then each check alone
    python bench/worker_count.py --whole    # the whole rubric only

Every process of the grading is sampled every 20 ms (psutil, from outside: the sandbox's PID
namespace hides nothing from its parent). A Ray worker process is one that ran Ray's
default_worker.py; what it became is read from the title Ray gives it (`ray::Supervisor`,
`ray::run_experiment`, `ray::IDLE`). Each check graded alone (`--only`) tells which of them its
scenarios start: its fixtures are named beside it; a fixture shared by several checks is counted
under each of them, and once in the whole run.
Goal (issue 24): at most 10 worker processes per reference submission.
"""

from __future__ import annotations

import argparse
import inspect
import shutil
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import psutil

from grader import grade
from grader.checks import SPEC_ATTRIBUTE, all_specs, rubric_modules
from grader.runtime import use_startup_path
from grader.assignment import find

ACTOR_TREE = find("actor_tree")

GOAL = 10
RAY_AGENTS = ("ray::DashboardAgent", "ray::RuntimeEnvAgent")
"""Titled like workers, but the head's own processes: started once per runtime, whatever is graded."""


class WorkerWatch:
    """Every Ray worker process that a grading started, by pid, with the titles it was seen under."""

    def __init__(self):
        self.titles: dict[int, list[str]] = {}
        self._candidates: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(0.02):
            for proc in me.children(recursive=True):
                try:
                    command = proc.cmdline()
                except psutil.Error:
                    continue
                text = " ".join(command)
                if any(part.endswith("default_worker.py") for part in command[:3]):  # not the raylet's flags
                    self._candidates.add(proc.pid)
                if text.startswith(RAY_AGENTS):
                    continue
                if proc.pid in self._candidates or text.startswith("ray::"):
                    seen = self.titles.setdefault(proc.pid, [])
                    title = text.split()[0] if text.startswith("ray::") else ""
                    if title and title not in seen:
                        seen.append(title)

    def kinds(self) -> Counter:
        """How many worker processes became what: the class or task of the first title that is not
        IDLE (a named actor is titled `ray::<name>:<class>`)."""
        found = Counter()
        for titles in self.titles.values():
            named = [t.removeprefix("ray::").split(":")[-1].split(".")[0].split("(")[0]
                     for t in titles if t != "ray::IDLE"]
            found[named[0] if named else "IDLE (killed or never used)"] += 1
        return found


def fixtures_of() -> dict[str, list[str]]:
    """{check id: the scenario fixtures its function asks for}."""
    found = {}
    for module in rubric_modules(ACTOR_TREE):
        for value in vars(module).values():
            spec = getattr(value, SPEC_ATTRIBUTE, None)
            if spec is not None and callable(value):
                found[spec.id] = [p for p in inspect.signature(value).parameters if p != "sub"]
    return found


def count(notebook: Path, only=()) -> tuple[Counter, str]:
    with WorkerWatch() as watch:
        reports = grade([str(notebook)], only=only)
    report = reports[0]
    return watch.kinds(), f"{report.score:g}/{report.max_score:g}"


def line(kinds: Counter) -> str:
    return f"{sum(kinds.values()):3d}  " + ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--whole", action="store_true", help="the whole rubric only, not each check alone")
    args = parser.parse_args()
    use_startup_path()
    folder = Path(tempfile.mkdtemp(prefix="bench-workers-"))
    notebook = folder / "actor_tree.ipynb"
    shutil.copyfile(ACTOR_TREE.source, notebook)
    try:
        started = time.monotonic()
        kinds, score = count(notebook)
        print(f"worker processes per reference submission (score {score}, {time.monotonic() - started:.0f} s): "
              f"{line(kinds)}   (goal <= {GOAL})")
        if args.whole:
            return
        fixtures = fixtures_of()
        print("each check graded alone: worker processes its scenarios start [its fixtures]")
        for spec in all_specs(ACTOR_TREE):
            kinds, _ = count(notebook, only=(spec.id,))
            scenario = ", ".join(fixtures.get(spec.id, [])) or "its own body"
            print(f"  {spec.id:<34} {line(kinds)}   [{scenario}]")
    finally:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
