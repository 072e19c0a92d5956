"""run_experiment never sleeps: it logs every message at once, whatever `delay` says.

Fails: logging.run_experiment_messages
"""


@ray.remote
def run_experiment(experiment_index, logging_actor, n_iterations=60, delay=1.0):
    ray.get([logging_actor.log.remote(experiment_index, f"On iteration {i}") for i in range(n_iterations)])
