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
        score = f"{report.student}: {report.score:g}/{report.max_score:g}"
        with self._lock:
            if not _is_terminal(self._stream):
                print(f"[{done}/{total}] {score} ({report.seconds:.0f} s)", file=self._stream, flush=True)
                return
            if self._bar is None:
                self._bar = tqdm(total=total, file=self._stream, unit="submission", dynamic_ncols=True,
                                 desc="grading")
            self._bar.set_postfix_str(score, refresh=False)
            self._bar.update(1)
            if self._bar.n >= total:
                self._bar.close()


def _is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
