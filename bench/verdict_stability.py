"""Benchmark: the same verdict on every run, idle and loaded (issue 22's rules).

    python bench/verdict_stability.py               # 10 runs of each case, machine idle
    python bench/verdict_stability.py --load        # the same with a CPU burner on every core
    python bench/verdict_stability.py -n 3 sleep_instead_of_wait
    python bench/verdict_stability.py --load sleeps_instead_of_getting_tasks:logging.parallel

Grades N copies of each named corpus case (tests/corpus; default: the cases of the sleep, polling
and one-logger rules and their correct variants), each with only the check its rule lives in,
two at a time, and prints per case how many runs passed that check: every case must read N or 0.
A case named CASE:CHECK is any corpus case graded with the check named.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from conftest import build_corpus  # noqa: E402

from grader.grading import grade_submissions  # noqa: E402
from grader.records import Submission  # noqa: E402
from grader.runtime.limits import Limits  # noqa: E402

CASES = {
    "sleep_instead_of_wait": "logging.run_experiments_complete",
    "sleeps_instead_of_getting_tasks": "logging.run_experiments_complete",
    "reads_after_three_sleeps": "logging.run_experiments_complete",
    "alt_polling_run_experiments": "logging.run_experiments_complete",
    "alt_ray_wait_loop": "logging.run_experiments_complete",
    "alt_synchronous_logging": "logging.run_experiments_complete",
    "logger_per_experiment": "logging.run_experiments_complete",
    "busy_poll_run_supervisor": "supervisor.run_supervisor",
    "alt_poll_with_half_interval": "supervisor.run_supervisor",
    "ignores_poll_interval": "supervisor.run_supervisor",
    "ignores_delay": "logging.run_experiment_messages",
    "alt_keyword_logs_and_launcher": "logging.run_experiment_messages",
    "hardcoded_ten_iterations": "logging.run_experiments_complete",
}


def burn(stop) -> None:
    while not stop.is_set():
        sum(i * i for i in range(10_000))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=10, help="runs of each case")
    parser.add_argument("--load", action="store_true", help="a CPU burner on every core meanwhile")
    parser.add_argument("cases", nargs="*", default=list(CASES))
    args = parser.parse_args()
    stop = multiprocessing.Event()
    burners = [multiprocessing.Process(target=burn, args=(stop,), daemon=True)
               for _ in range(os.cpu_count() if args.load else 0)]
    for burner in burners:
        burner.start()
    started = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="verdicts-") as folder:
            cases = dict(case.partition(":")[::2] for case in args.cases)
            cases = {case: check or CASES[case] for case, check in cases.items()}
            files = build_corpus(Path(folder) / "corpus", set(cases))
            submissions = []
            for case in cases:
                for run in range(args.n):
                    copy = Path(folder) / "runs" / f"{case}-{run}" / files[case].name
                    copy.parent.mkdir(parents=True)
                    copy.write_text(files[case].read_text())
                    submissions.append(Submission(str(copy), f"{case}-{run}", copy.name, checks=(cases[case],)))
            reports = grade_submissions(submissions, jobs=2, wall_seconds=400, limits=Limits(),
                                        results_dir=Path(folder) / "results")
    finally:
        stop.set()
    passed, feedback = Counter(), {}
    for report in reports:
        case = report.student.rsplit("-", 1)[0]
        passed[case] += sum(c.status == "passed" for c in report.checks)
        feedback.setdefault(case, {}).update({c.status: c.feedback or report.problem for c in report.checks})
    print(f"{args.n} runs of each case, machine {'loaded (a CPU burner per core)' if args.load else 'idle'}, "
          f"{time.monotonic() - started:.0f} s")
    for case in cases:
        verdict = "stable" if passed[case] in (0, args.n) else "UNSTABLE"
        print(f"  {case:34} {cases[case]:36} passed {passed[case]:2}/{args.n}  {verdict}")
        if verdict != "stable":
            print(f"    failed once with: {feedback[case].get('failed', '')[:600]}")


if __name__ == "__main__":
    main()
