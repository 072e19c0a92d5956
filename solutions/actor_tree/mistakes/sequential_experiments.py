"""run_experiments calls ray.get inside the launching loop: one experiment at a time.

Fails: logging.parallel
"""


def run_experiments(n_experiments=3, n_iterations=60, delay=1.0):
    logging_actor = LoggingActor.remote()
    for i in range(n_experiments):
        ray.get(run_experiment.remote(i, logging_actor, n_iterations, delay))
    logs = ray.get(logging_actor.get_logs.remote())
    ray.kill(logging_actor)
    return logs
