"""Hostile: run_experiments calls os._exit and kills the grading process. The check that was
running fails with that reason; the grader starts again for the others.

Fails: logging.run_experiments_complete logging.parallel logging.no_leaks
"""


def run_experiments(n_experiments=3, n_iterations=60, delay=1.0):
    os._exit(3)
