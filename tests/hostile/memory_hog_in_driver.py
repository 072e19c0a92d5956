"""run_supervisor fills 4 GiB in the grading process itself (the driver).

Checks: supervisor.run_supervisor
Fails: supervisor.run_supervisor
Says: memory limit
Flag: Limit exceeded: the submission went over the memory limit
"""


def run_supervisor(models=None, poll_interval: float = 0.5) -> list:
    hog = b"x" * (4 * 1024**3)
    return [hog]
