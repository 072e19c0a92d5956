"""run_experiment logs "Iteration i" instead of "On iteration i".

Fails: logging.run_experiment_messages
"""


@ray.remote
def run_experiment(experiment_index, logging_actor, n_iterations=60, delay=1.0):
    refs = []
    for i in range(n_iterations):
        time.sleep(delay)
        refs.append(logging_actor.log.remote(experiment_index, f"Iteration {i}"))
    ray.get(refs)
