"""run_supervisor starts processes until the system refuses (each one sleeps for ten minutes).

Checks: supervisor.run_supervisor
Fails: supervisor.run_supervisor
Says: processes and threads
Flag: Limit exceeded: the submission went over the limit of 1024 processes
"""


def run_supervisor(models=None, poll_interval: float = 0.5) -> list:
    import os

    while True:
        if os.fork() == 0:
            os.execv("/bin/sleep", ["sleep", "600"])
