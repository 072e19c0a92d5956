"""run_experiments reuses one global LoggingActor across calls: the actor outlives the call
(old messages pile up too, but nothing is missing, so the result still counts as complete).

Fails: logging.no_leaks
"""
_LOGGER = []


def run_experiments(n_experiments=3, n_iterations=60, delay=1.0):
    if not _LOGGER:
        _LOGGER.append(LoggingActor.remote())
    logging_actor = _LOGGER[0]
    ray.get([run_experiment.remote(i, logging_actor, n_iterations, delay) for i in range(n_experiments)])
    return ray.get(logging_actor.get_logs.remote())
