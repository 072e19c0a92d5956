"""Alternative correct exercise: each task waits for its log calls, and run_experiments waits for
the tasks with a ray.wait loop that sleeps between rounds (a sleep inside a loop that re-checks is
waiting, not guessing).

Fails: none
"""
from time import sleep


@ray.remote
def run_experiment(experiment_index, logging_actor, n_iterations=60, delay=1.0):
    refs = []
    for i in range(n_iterations):
        time.sleep(delay)
        refs.append(logging_actor.log.remote(experiment_index, f"On iteration {i}"))
    ray.get(refs)


def run_experiments(n_experiments=3, n_iterations=60, delay=1.0):
    logging_actor = LoggingActor.remote()
    pending = [run_experiment.remote(i, logging_actor, n_iterations, delay) for i in range(n_experiments)]
    while pending:
        _, pending = ray.wait(pending, num_returns=len(pending), timeout=0.2)
        sleep(0.1)
    logs = ray.get(logging_actor.get_logs.remote())
    ray.kill(logging_actor)
    return logs
