"""run_experiments renamed its parameters: the grader cannot call it as the contract says.

Fails: logging.run_experiments_complete logging.parallel logging.no_leaks
"""


def run_experiments(n=3, iterations=60, pause=1.0):
    logging_actor = LoggingActor.remote()
    ray.get([run_experiment.remote(i, logging_actor, iterations, pause) for i in range(n)])
    return ray.get(logging_actor.get_logs.remote())
