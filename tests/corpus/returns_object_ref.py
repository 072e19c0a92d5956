"""run_experiments returns the ObjectRef of get_logs instead of the logs (forgot ray.get).

Fails: logging.run_experiments_complete
"""


def run_experiments(n_experiments=3, n_iterations=60, delay=1.0):
    logging_actor = LoggingActor.remote()
    ray.get([run_experiment.remote(i, logging_actor, n_iterations, delay) for i in range(n_experiments)])
    return logging_actor.get_logs.remote()
