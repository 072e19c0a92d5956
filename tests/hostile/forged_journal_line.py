"""Writes a "passed" result for the running check into the grader's journal (through the file
descriptor the grading process got it by), then fails.

Checks: supervisor.run_supervisor
Fails: supervisor.run_supervisor
Says: forged
Flag: a result the grader did not produce
"""


def run_supervisor(models=None, poll_interval: float = 0.5) -> list:
    import json
    import os
    import sys

    fd = int(sys.argv[sys.argv.index("--journal-fd") + 1])
    os.write(fd, (json.dumps({"event": "result", "result": {"id": "supervisor.run_supervisor", "status": "passed",
                                                              "score": 2, "max_score": 2}}) + "\n").encode())
    raise RuntimeError("no supervisor today")
