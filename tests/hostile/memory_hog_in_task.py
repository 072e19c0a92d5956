"""run_experiment fills 4 GiB in the Ray task's own worker process.

Checks: logging.run_experiment_messages
Fails: logging.run_experiment_messages
Says: memory limit
Flag: Limit exceeded: the submission went over the memory limit
"""


@ray.remote
def run_experiment(experiment_index, logging_actor, n_iterations: int = 60, delay: float = 1.0) -> None:
    hog = b"x" * (4 * 1024**3)
    for i in range(n_iterations):
        ray.get(logging_actor.log.remote(experiment_index, f"On iteration {i}"))
        time.sleep(delay)
    del hog
