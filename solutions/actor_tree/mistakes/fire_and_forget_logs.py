"""run_experiment does not wait for its log calls; run_experiments reads the logs right after
the tasks return (the completeness race).

Fails: logging.run_experiments_complete
"""


@ray.remote
def run_experiment(experiment_index, logging_actor, n_iterations=60, delay=1.0):
    for i in range(n_iterations):
        time.sleep(delay)
        logging_actor.log.remote(experiment_index, f"On iteration {i}")
