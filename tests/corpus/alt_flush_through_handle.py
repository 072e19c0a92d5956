"""Alternative correct run_experiment: fires its log calls, then waits with one more call on the
same handle (a plain actor runs one caller's calls in order, so get_logs runs after them).

Fails: none
"""


@ray.remote
def run_experiment(experiment_index, logging_actor, n_iterations=60, delay=1.0):
    for i in range(n_iterations):
        time.sleep(delay)
        logging_actor.log.remote(experiment_index, f"On iteration {i}")
    ray.get(logging_actor.get_logs.remote())
