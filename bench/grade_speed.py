"""Benchmark: the grader's speed as a ratio to a yardstick measured in the same run.

    python bench/grade_speed.py                # a class of 8 copies of the reference, --jobs auto
    python bench/grade_speed.py -n 4 --jobs 2
    python bench/grade_speed.py --cold         # also one submission through the `grade` command

Yardstick: one bare Ray start and stop on this machine (`ray.init(num_cpus=2)`, one task,
`ray.shutdown()`, in a fresh process with the slow rfc3987 import hidden as the grader hides it),
timed before and after the grading; absolute seconds drift on shared machines, the ratio less.
Also printed: each phase of one submission (Ray head start, grading process, checks, stop) from
the staff log, and the peak memory of every process the grading started.
Goals (issue 24; issue 9 had set the cold one at 3.0): a class at most 1.0 yardstick per
submission, one cold submission at most 2.5.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from grader import grade
from grader.runtime import STARTUP_DIR, use_startup_path
from grader.runtime.limits import DEFAULT_LIMITS, auto_jobs
from grader.assignment import find

ACTOR_TREE = find("actor_tree")

YARDSTICK = """
import logging, ray
ray.init(address="local", num_cpus=2, include_dashboard=False, logging_level=logging.ERROR)
ray.get(ray.remote(lambda: 1).remote())
ray.shutdown()
"""
PHASES = ("ray head up", "grading process", "stopped")


def yardstick() -> float:
    env = dict(os.environ, PYTHONPATH=str(STARTUP_DIR))
    env.pop("RAY_ADDRESS", None)
    with tempfile.TemporaryDirectory(prefix="yardstick-", dir="/tmp") as ray_tmp:
        env["RAY_TMPDIR"] = ray_tmp
        started = time.monotonic()
        subprocess.run([sys.executable, "-c", YARDSTICK], env=env, check=True, capture_output=True)
        return time.monotonic() - started


class PeakMemory:
    """The largest sum of resident memory of this process and all its descendants, every 0.2 s."""

    def __init__(self):
        self.peak, self._stop = 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _sample(self):
        me = psutil.Process()
        while not self._stop.wait(0.2):
            total = 0
            for proc in [me, *me.children(recursive=True)]:
                try:
                    total += proc.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)


def phases(staff_log: str) -> dict[str, float]:
    return {name: float(m.group(1)) for name in PHASES
            if (m := re.search(rf"{name} in ([\d.]+) s", staff_log))}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=8, help="copies of the reference to grade")
    parser.add_argument("--jobs", default="auto", help="as grade --jobs (default auto)")
    parser.add_argument("--cold", action="store_true", help="also time one submission through `grade`")
    args = parser.parse_args()
    jobs = auto_jobs(DEFAULT_LIMITS)[0] if args.jobs == "auto" else int(args.jobs)
    use_startup_path()
    folder = Path(tempfile.mkdtemp(prefix="bench-class-"))
    for i in range(args.n):
        (folder / f"copy-{i}").mkdir()
        shutil.copyfile(ACTOR_TREE.source, folder / f"copy-{i}" / "actor_tree.ipynb")

    before = yardstick()
    with PeakMemory() as memory:
        started = time.monotonic()
        reports = grade([str(folder)], jobs=jobs)
        elapsed = time.monotonic() - started
    cold = 0.0
    if args.cold:
        started = time.monotonic()
        subprocess.run(["grade", str(folder / "copy-0" / "actor_tree.ipynb")], check=True, capture_output=True)
        cold = time.monotonic() - started
    after = yardstick()
    shutil.rmtree(folder)

    stick = (before + after) / 2
    scores = sorted({f"{r.score:g}/{r.max_score:g}" for r in reports})
    per = elapsed / len(reports)
    print(f"yardstick (bare Ray start+stop): {before:.1f} s before, {after:.1f} s after -> {stick:.1f} s")
    print(f"class: {len(reports)} submissions, --jobs {jobs}, scores {', '.join(scores)}: {elapsed:.1f} s, "
          f"{per:.1f} s per submission = {per / stick:.2f} yardsticks (goal <= 1.0)")
    if cold:
        print(f"one submission cold (grade one.ipynb): {cold:.1f} s = {cold / stick:.2f} yardsticks (goal <= 2.5)")
    print(f"peak memory of all grading processes: {memory.peak / 2**30:.2f} GiB (goal <= 3)")
    print("one submission, by phase (mean over the class):")
    found = [phases(r.staff_log) for r in reports]
    for name in PHASES:
        values = [f[name] for f in found if name in f]
        if values:
            print(f"  {name:<16} {sum(values) / len(values):5.1f} s")
    checks: dict[str, list[float]] = {}
    for report in reports:
        for check in report.checks:
            checks.setdefault(check.id, []).append(check.seconds)
    for check_id, values in checks.items():
        print(f"  {check_id:<34} {sum(values) / len(values):5.1f} s")


if __name__ == "__main__":
    main()
