"""Alternative correct run_experiment: waits for each log call before the next one; the
LoggingActor is left to Ray's reference counting instead of ray.kill.

Fails: none
"""


@ray.remote
def run_experiment(experiment_index, logging_actor, n_iterations=60, delay=1.0):
    for i in range(n_iterations):
        time.sleep(delay)
        ray.get(logging_actor.log.remote(experiment_index, f"On iteration {i}"))


def run_experiments(n_experiments=3, n_iterations=60, delay=1.0):
    logging_actor = LoggingActor.remote()
    ray.get([run_experiment.remote(i, logging_actor, n_iterations, delay) for i in range(n_experiments)])
    return ray.get(logging_actor.get_logs.remote())
