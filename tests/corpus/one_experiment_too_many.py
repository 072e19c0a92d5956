"""run_experiments runs n_experiments + 1 experiments (range(n_experiments + 1)): every message of
the experiments asked for is there, and one experiment more.

Fails: logging.run_experiments_complete
"""


def run_experiments(n_experiments=3, n_iterations=60, delay=1.0):
    logging_actor = LoggingActor.remote()
    ray.get([run_experiment.remote(i, logging_actor, n_iterations, delay) for i in range(n_experiments + 1)])
    logs = ray.get(logging_actor.get_logs.remote())
    ray.kill(logging_actor)
    return logs
