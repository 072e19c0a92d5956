"""Alternative correct exercise: run_experiment fires and forgets, and run_experiments waits
another way (polls get_logs until every message is there).

Fails: none
"""


@ray.remote
def run_experiment(experiment_index, logging_actor, n_iterations=60, delay=1.0):
    for i in range(n_iterations):
        time.sleep(delay)
        logging_actor.log.remote(experiment_index, f"On iteration {i}")


def run_experiments(n_experiments=3, n_iterations=60, delay=1.0):
    logging_actor = LoggingActor.remote()
    ray.get([run_experiment.remote(i, logging_actor, n_iterations, delay) for i in range(n_experiments)])
    while True:
        logs = ray.get(logging_actor.get_logs.remote())
        if len(logs) == n_experiments and all(len(m) == n_iterations for m in logs.values()):
            break
        time.sleep(0.05)
    ray.kill(logging_actor)
    return logs
