"""The grading process of one submission, its judge: `python -m grader.session --address ... SUBMISSION`.

Started by grader.runtime.isolation with a wall-clock limit; it connects to the Ray head started
for this submission, starts the host process that loads the student's definitions
(grader.session.host), and runs the checks under pytest against it (grader.session.remote).
No code of the submission runs here. Everything it learns goes to the journal as it happens.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from pathlib import Path

from grader.session.journal import LOADING_MARKER, Journal

NAMESPACE = "grading"
"""The Ray namespace the judge and the host share (the head is this submission's alone)."""


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m grader.session")
    parser.add_argument("--address", required=True,
                        help="the Ray head's address, or - to read it from stdin once everything is imported "
                             "(the parent starts this process while the head is still starting)")
    parser.add_argument("--journal-fd", required=True, type=int, help="an open file descriptor to append to")
    parser.add_argument("--scratch", required=True, type=Path)
    parser.add_argument("--evidence", required=True, type=Path,
                        help="a folder for the instruments' gates and reports (read-only to the submission)")
    parser.add_argument("--only", action="append", default=[], help="run only these check ids")
    parser.add_argument("--assignment", help="the assignment's name or source folder (grader.assignment.find)")
    parser.add_argument("submission", type=Path)
    args = parser.parse_args(argv)
    journal = Journal(args.journal_fd)
    try:
        grade_here(args, journal)
    except BaseException:  # the journal must say why, whatever happened
        journal.crashed(traceback.format_exc()[-6000:])
    finally:
        journal.finished()
        sys.stdout.flush()
        sys.stderr.flush()
        # Student threads (non-daemon, blocked in ray.get) must not keep this process alive.
        os._exit(0)


def grade_here(args, journal) -> None:
    # Imported here, inside main's try: an import that fails (a broken install) must reach the
    # journal as the grader's failure, not end the process mute.
    from grader.assignment import find
    from grader.judge import not_dumpable
    from grader.session.remote import RemoteSubmission, host_starter

    not_dumpable()
    assignment = find(args.assignment)
    start_host = host_starter(args.submission, args.scratch, NAMESPACE, assignment.contract, assignment.rubric)
    grading = RemoteSubmission(start_host, NAMESPACE, Path.cwd() / "checks", args.evidence, assignment.contract)
    try:
        # The host imports while the head is still starting; it runs no code of the submission's
        # before it is told the head's address, below.
        grading.prestart()
        _judge(args, journal, grading, assignment)
    finally:
        grading.stop()


def _judge(args, journal, grading, assignment) -> None:
    import pytest
    import ray

    from grader.checks import rubric_modules
    from grader.judge import safe_ray
    from grader.judge.source import read_declared
    from grader.session.plugin import run_checks

    rubric = rubric_modules(assignment)
    safe_ray.install(grading.actor_methods)
    address = sys.stdin.readline().strip() if args.address == "-" else args.address
    if not address:
        raise SystemExit("no Ray head address was given (the head did not start)")
    ray.init(address=address, namespace=NAMESPACE, logging_level=logging.ERROR, log_to_driver=False)
    safe_ray.connect_handles()

    grading.declared = read_declared(args.submission)
    print(LOADING_MARKER, flush=True)
    loaded = grading.start(address)
    if loaded.get("crashed"):
        journal.crashed("the process loading the submission failed:\n" + str(loaded["crashed"]))
        return
    journal.loaded(grading.problem, [str(n) for n in loaded.get("notes") or ()],
                   [str(f) for f in loaded.get("flags") or ()])
    code = run_checks(grading, journal, rubric, args.only, rootdir=Path.cwd())
    _flag_stray_lines(grading, journal)
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        journal.crashed(f"pytest ended with exit code {int(code)} ({code.name})")


def _flag_stray_lines(grading, journal) -> None:
    count = grading.stray_lines()
    if count:
        journal.tampered("", f"Tampering: the submission's process wrote {count} line(s) the grader did not ask "
                             "for into its channel to the judge; none was obeyed.")


if __name__ == "__main__":
    main()
