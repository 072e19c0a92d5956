"""What a batch run shows while it grades, on stderr (stdout may be the JSON report): in a
terminal, a progress bar (done/total, rate, time left, the last student's score); elsewhere (a
log file, CI), one plain line per graded submission."""

from __future__ import annotations

import sys
import threading

from tqdm import tqdm


class Progress:
    """progress(done, total, report), as grader.grading calls it after each submission."""

    def __init__(self, stream=None):
        self._stream = stream or sys.stderr
        self._bar = None
        self._lock = threading.Lock()  # submissions finish on several threads at once

    def __call__(self, done: int, total: int, report) -> None:
        score = f"{report.student}: {report.score:g}/{report.max_score:g}" if report.graded else \
            f"{report.student}: not graded"
        with self._lock:
            if not _is_terminal(self._stream):
                how = "reused" if report.reused else f"{report.seconds:.0f} s"
                print(f"[{done}/{total}] {score} ({how})", file=self._stream, flush=True)
                if not report.graded:
                    print(failure_line(report), file=self._stream, flush=True)
                return
            if self._bar is None:
                self._bar = tqdm(total=total, file=self._stream, unit="submission", dynamic_ncols=True,
                                 desc="grading")
            if not report.graded:  # on the spot, above the bar
                self._bar.write(failure_line(report), file=self._stream)
            self._bar.set_postfix_str(score, refresh=False)
            self._bar.update(1)
            if self._bar.n >= total:
                self._bar.close()


def _is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def failure_line(report) -> str:
    """What the instructor reads the moment the grader fails on a submission."""
    return (f"grade: {report.student} was NOT graded: the grader failed: {report.grader_failure} (not the "
            "student's doing; fix the cause and run the same command again: only the ungraded are graded)")
