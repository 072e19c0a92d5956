"""Hostile: run_experiments calls os._exit(0), a "clean" exit status. Still a death: the check that
was running fails with that reason and the others are graded in a new process.

Fails: logging.run_experiments_complete logging.parallel logging.no_leaks
"""


def run_experiments(n_experiments=3, n_iterations=60, delay=1.0):
    os._exit(0)
