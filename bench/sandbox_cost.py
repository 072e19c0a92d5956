"""Benchmark: what the sandbox per submission costs (issue 11's budget: at most 1 s a submission).

    python bench/sandbox_cost.py          # 3 gradings of the reference each way, alternating
    python bench/sandbox_cost.py -n 5

Prints (1) the sandbox's own work, timed directly: making the namespaces and the file view,
starting one process inside them, and ending it all; (2) the reference graded by the `grade`
command with the sandbox and without it (ACTOR_TREE_SANDBOX=off: Ray token authentication
only), alternating so that the machine's drift falls on both, with a yardstick (a bare Ray start
and stop, as in bench/grade_speed.py) measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from grader.course_notebooks import notebook_code
from grader.runtime.sandbox import NAMESPACES, Sandbox, protection
from grader.assignment import find

ACTOR_TREE = find("actor_tree")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from grade_speed import yardstick  # noqa: E402  (a sibling script, not a package)


def sandbox_alone(repeat: int = 20) -> tuple[float, float]:
    """(seconds to make and end an empty sandbox, seconds to run `true` inside one), medians."""
    made, entered = [], []
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(repeat):
            started = time.monotonic()
            with Sandbox([], [Path(folder)]) as box:
                up = time.monotonic()
                subprocess.run(box.wrap(["true"]), check=True)
                entered.append(time.monotonic() - up)
            made.append(time.monotonic() - started - entered[-1])
    return statistics.median(made), statistics.median(entered)


def grade_once(path: Path, sandbox: bool) -> float:
    env = dict(os.environ, ACTOR_TREE_SANDBOX="on" if sandbox else "off")
    started = time.monotonic()
    subprocess.run(["grade", str(path), "--json"], env=env, check=True, capture_output=True)
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=3, help="gradings each way")
    args = parser.parse_args()
    mode, sentence = protection()
    print(sentence)
    if mode != NAMESPACES:
        sys.exit("no sandbox on this machine: nothing to measure")
    made, entered = sandbox_alone()
    print(f"sandbox made and ended: {made * 1000:.0f} ms; one process started inside it: {entered * 1000:.0f} ms "
          "(median of 20)")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "reference.py"
        path.write_text(notebook_code(ACTOR_TREE.source))
        before = yardstick()
        timed: dict[bool, list[float]] = {True: [], False: []}
        for _ in range(args.n):
            for sandbox in (True, False):
                timed[sandbox].append(grade_once(path, sandbox))
        after = yardstick()
    stick = (before + after) / 2
    with_box, without = statistics.mean(timed[True]), statistics.mean(timed[False])
    print(f"yardstick (bare Ray start+stop): {before:.1f} s before, {after:.1f} s after")
    print(f"one submission with the sandbox:    {with_box:.1f} s = {with_box / stick:.2f} yardsticks "
          f"({', '.join(f'{t:.1f}' for t in timed[True])})")
    print(f"one submission without the sandbox: {without:.1f} s = {without / stick:.2f} yardsticks "
          f"({', '.join(f'{t:.1f}' for t in timed[False])})")
    print(f"the sandbox's cost per submission: {with_box - without:+.1f} s (goal: at most 1 s)")


if __name__ == "__main__":
    main()
