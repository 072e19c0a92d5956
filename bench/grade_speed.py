"""Benchmark: grade N copies of the reference solution; print seconds per submission and peak memory.

    python bench/grade_speed.py            # 3 copies, one at a time
    python bench/grade_speed.py -n 4 --jobs 2

Peak memory is the largest sum of resident memory of every process the grading started (Ray
head, its workers, the grading process), sampled every 0.2 s. Target: a correct submission
graded in under 30 s on a 2-core machine, Ray start included.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import threading
import time
from pathlib import Path

import psutil


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=3, help="copies of the reference to grade")
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()

    from grader import grade
    from grader.course_notebooks import solution_notebook
    from grader.runtime import use_startup_path

    use_startup_path()
    folder = Path(tempfile.mkdtemp(prefix="bench-class-"))
    for i in range(args.n):
        (folder / f"copy-{i}").mkdir()
        shutil.copyfile(solution_notebook(), folder / f"copy-{i}" / "actor_tree.ipynb")

    me = psutil.Process()
    peak, stop = [0], threading.Event()

    def sample():
        while not stop.is_set():
            total = 0
            for proc in [me, *me.children(recursive=True)]:
                try:
                    total += proc.memory_info().rss
                except psutil.Error:
                    pass
            peak[0] = max(peak[0], total)
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.monotonic()
    reports = grade([str(folder)], jobs=args.jobs)
    elapsed = time.monotonic() - started
    stop.set()
    sampler.join()
    shutil.rmtree(folder)

    scores = sorted({f"{r.score:g}/{r.max_score:g}" for r in reports})
    per = [r.seconds for r in reports]
    print(f"submissions: {len(reports)}  jobs: {args.jobs}  scores: {', '.join(scores)}")
    print(f"wall clock: {elapsed:.1f} s  ->  {elapsed / len(reports):.1f} s per submission (throughput)")
    print(f"per submission (Ray start included): min {min(per):.1f} s, max {max(per):.1f} s, "
          f"mean {sum(per) / len(per):.1f} s")
    print(f"peak memory of all grading processes: {peak[0] / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
