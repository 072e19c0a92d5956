"""Alternative run_experiment(s) that log with keyword arguments, launch every experiment through
a launcher made once when the code is loaded (run_experiment.options(...)), and number the
experiments with numpy (np.arange: numpy integers as the log's keys).

Fails: none
"""

import numpy as np


@ray.remote
def run_experiment(experiment_index, logging_actor, n_iterations=60, delay=1.0):
    pending = []
    for i in range(n_iterations):
        time.sleep(delay)
        pending.append(logging_actor.log.remote(index=experiment_index, message=f"On iteration {i}"))
    ray.get(pending)


LAUNCH = run_experiment.options(num_cpus=1)


def run_experiments(n_experiments=3, n_iterations=60, delay=1.0):
    logging_actor = LoggingActor.remote()
    refs = [LAUNCH.remote(i, logging_actor, n_iterations, delay) for i in np.arange(n_experiments)]
    ray.get(refs)
    logs = ray.get(logging_actor.get_logs.remote())
    ray.kill(logging_actor)
    return logs
