"""Benchmark: what grading through `grade --cluster` costs a submission, against a local run.

    python bench/cluster_overhead.py        # 3 copies of the reference, each way

A one-node Ray cluster (2 CPUs, so one submission at a time, like `--jobs 1` here) is started on
this machine, in a network namespace with only loopback (Ray would otherwise advertise the
machine's network address), and stopped by pid. The same class is graded by `grade CLASS
--jobs 1` and by `grade CLASS --cluster ADDRESS`; both times are printed per submission, beside a
yardstick (a bare Ray start and stop, as in bench/grade_speed.py) from the same run. Needs root
and bubblewrap for the namespace.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from grader.course_notebooks import notebook_code
from grader.assignment import find

ACTOR_TREE = find("actor_tree")

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from grade_speed import yardstick  # noqa: E402  (a sibling script, not a package)
from loopback_only import LoopbackOnly, NoLoopbackNamespace  # noqa: E402  (the tests' helpers, shared)
from outer_cluster import OuterCluster  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=3, help="copies of the reference in the class")
    args = parser.parse_args()
    try:
        with LoopbackOnly() as network:
            before, local, remote, after = _measure(network, args.n)
    except NoLoopbackNamespace as missing:
        sys.exit(str(missing))
    stick = (before + after) / 2
    print(f"yardstick (bare Ray start+stop): {before:.1f} s before, {after:.1f} s after")
    print(f"a class of {args.n}, one at a time, here:          {local:.1f} s a submission = {local / stick:.2f} "
          "yardsticks")
    print(f"the same on a one-node cluster (2 CPUs a task): {remote:.1f} s a submission = {remote / stick:.2f} "
          f"yardsticks (joining and checking the node included)")
    print(f"the cluster's overhead: {remote - local:+.1f} s a submission")


def _measure(network: LoopbackOnly, n: int) -> tuple[float, float, float, float]:
    """(yardstick before, seconds a submission here, on the cluster, yardstick after)."""
    folder = Path(tempfile.mkdtemp(prefix="bench-cluster-", dir="/tmp"))
    try:
        with OuterCluster(folder, network) as outer:
            for i in range(n):
                (folder / "class" / f"student-{i}").mkdir(parents=True)
                (folder / "class" / f"student-{i}" / "actor_tree.py").write_text(notebook_code(ACTOR_TREE.source))
            before = yardstick()
            started = time.monotonic()
            subprocess.run(["grade", str(folder / "class"), "--jobs", "1", "--json"], env=outer.env, check=True,
                           capture_output=True)
            local = (time.monotonic() - started) / n
            outer.start_head(cpus=2)
            outer.wait_for(1)  # the head's start, not counted
            started = time.monotonic()
            subprocess.run(network.enter(["grade", str(folder / "class"), "--cluster", outer.address, "--json"]),
                           env=outer.env, check=True, capture_output=True)
            remote = (time.monotonic() - started) / n
            return before, local, remote, yardstick()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
