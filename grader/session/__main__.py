"""The grading process of one submission: `python -m grader.session --address ... SUBMISSION`.

Started by grader.runtime.isolation with a wall-clock limit; it connects to the Ray head
started for this submission, loads the student's definitions, checks their shape, and runs the
checks under pytest. Everything it learns goes to the journal as it happens.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from pathlib import Path

from grader.session.journal import LOADING_MARKER, Journal


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m grader.session")
    parser.add_argument("--address", required=True,
                        help="the Ray head's address, or - to read it from stdin once everything is imported "
                             "(the parent starts this process while the head is still starting)")
    parser.add_argument("--journal-fd", required=True, type=int, help="an open file descriptor to append to")
    parser.add_argument("--scratch", required=True, type=Path)
    parser.add_argument("--only", action="append", default=[], help="run only these check ids")
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
    # Imported here, inside main's try: an import that fails (a broken install, a module the
    # submission shadows) must reach the journal as the grader's failure, not end the process mute.
    import pytest
    import ray

    from grader.checks import all_specs
    from grader.session.integrity import Snapshot, tamper_flag
    from grader.session.context import Grading
    from grader.session.loader import load
    from grader.session.plugin import run_checks
    from grader.session.ray_calls import keep_grader_runtime
    from grader.session.shape import inspect_shape

    all_specs()  # imports every check module before the student's code can touch them
    address = sys.stdin.readline().strip() if args.address == "-" else args.address
    if not address:
        raise SystemExit("no Ray head address was given (the head did not start)")
    ray.init(address=address, logging_level=logging.ERROR, log_to_driver=False)
    notes: dict[str, None] = {}
    keep_grader_runtime(notes)
    os.chdir(args.scratch)
    snapshot = Snapshot()

    print(LOADING_MARKER, flush=True)
    loaded = load(args.submission)
    replaced = snapshot.restore()
    shape = inspect_shape(loaded.module.__dict__, loaded.failures) if loaded.module else {}
    flags = [tamper_flag(replaced, "while it was loaded")] if replaced else []
    journal.loaded(loaded.problem, loaded.notes + list(notes), flags)

    grading = Grading(loaded.module, shape, loaded.problem, args.scratch / "checks")
    code = run_checks(grading, journal, args.only, snapshot, rootdir=args.scratch)
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        journal.crashed(f"pytest ended with exit code {int(code)} ({code.name})")


if __name__ == "__main__":
    main()
