"""run_experiments launches every experiment with n_iterations=10 (a value left from testing),
whatever it was given: each experiment's messages are all there, but not the ones asked for.

Fails: logging.run_experiments_complete
"""


def run_experiments(n_experiments=3, n_iterations=60, delay=1.0):
    logging_actor = LoggingActor.remote()
    ray.get([run_experiment.remote(i, logging_actor, 10, delay) for i in range(n_experiments)])
    logs = ray.get(logging_actor.get_logs.remote())
    ray.kill(logging_actor)
    return logs
