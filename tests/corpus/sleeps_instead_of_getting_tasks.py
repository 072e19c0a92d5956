"""The reference with its ray.get on the experiments replaced by a generous sleep: on a real
machine three seconds are plenty, but a sleep is a guess, not a wait (the grader serves the driver's
sleeps at once, so this reads early on every machine).

Fails: logging.run_experiments_complete
"""
from time import sleep


@ray.remote
def run_experiment(experiment_index, logging_actor, n_iterations=60, delay=1.0):
    for i in range(n_iterations):
        time.sleep(delay)
        ray.get(logging_actor.log.remote(experiment_index, f"On iteration {i}"))


def run_experiments(n_experiments=3, n_iterations=60, delay=1.0):
    logging_actor = LoggingActor.remote()
    [run_experiment.remote(i, logging_actor, n_iterations, delay) for i in range(n_experiments)]
    sleep(3)
    logs = ray.get(logging_actor.get_logs.remote())
    ray.kill(logging_actor)
    return logs
