"""run_experiments starts its LoggingActor with .options(max_concurrency=16): whatever the class
declares, that actor runs its log calls in threads, in no guaranteed order.

Fails: logging.ordering_per_worker
"""


def run_experiments(n_experiments=3, n_iterations=60, delay=1.0):
    logging_actor = LoggingActor.options(max_concurrency=16).remote()
    ray.get([run_experiment.remote(i, logging_actor, n_iterations, delay) for i in range(n_experiments)])
    logs = ray.get(logging_actor.get_logs.remote())
    ray.kill(logging_actor)
    return logs
