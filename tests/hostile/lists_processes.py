"""Looks through the machine's processes for other students' grading runs (their command lines
name their files).

Needs: sandbox
Checks: supervisor.run_supervisor
Fails: supervisor.run_supervisor
Says: grading processes seen: 1
"""


def run_supervisor(models=None, poll_interval: float = 0.5) -> list:
    import os

    seen = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                seen += b"grader.session" in cmdline.read()
        except OSError:
            continue
    raise RuntimeError(f"grading processes seen: {seen}")
