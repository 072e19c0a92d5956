"""Alternative run_experiments that numbers its experiments 1..n_experiments instead of
0..n_experiments-1 (the contract asks for n parallel experiments with every message present).

Fails: none
"""


def run_experiments(n_experiments=3, n_iterations=60, delay=1.0):
    logging_actor = LoggingActor.remote()
    indices = range(1, n_experiments + 1)
    refs = [run_experiment.remote(i, logging_actor, n_iterations, delay) for i in indices]
    ray.get(refs)
    logs = ray.get(logging_actor.get_logs.remote())
    ray.kill(logging_actor)
    return logs
