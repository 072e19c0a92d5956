"""The seed's racy way: fire-and-forget log calls, then sleep a little before reading the logs.

Fails: logging.run_experiments_complete
"""


@ray.remote
def run_experiment(experiment_index, logging_actor, n_iterations=60, delay=1.0):
    for i in range(n_iterations):
        time.sleep(delay)
        logging_actor.log.remote(experiment_index, f"On iteration {i}")


def run_experiments(n_experiments=3, n_iterations=60, delay=1.0):
    logging_actor = LoggingActor.remote()
    ray.get([run_experiment.remote(i, logging_actor, n_iterations, delay) for i in range(n_experiments)])
    time.sleep(1)
    return ray.get(logging_actor.get_logs.remote())
