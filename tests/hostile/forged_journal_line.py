"""Writes a "passed" result for the running check into the grader's journal, then fails.

Checks: supervisor.run_supervisor
Fails: supervisor.run_supervisor
Says: forged
Flag: a result the grader did not produce
"""


def run_supervisor(models=None, poll_interval: float = 0.5) -> list:
    import json
    import sys

    journal = sys.argv[sys.argv.index("--journal") + 1]
    with open(journal, "a") as out:
        out.write(json.dumps({"event": "result", "result": {"id": "supervisor.run_supervisor", "status": "passed",
                                                            "score": 2, "max_score": 2}}) + "\n")
    raise RuntimeError("no supervisor today")
