"""run_experiments makes its LoggingActor detached and never kills it: it outlives the call
(and would outlive the grader, were the grader's cluster not its own).

Fails: logging.no_leaks
"""


def run_experiments(n_experiments=3, n_iterations=60, delay=1.0):
    logging_actor = LoggingActor.options(lifetime="detached").remote()
    ray.get([run_experiment.remote(i, logging_actor, n_iterations, delay) for i in range(n_experiments)])
    return ray.get(logging_actor.get_logs.remote())
