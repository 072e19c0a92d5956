"""run_experiments gives each experiment a LoggingActor of its own and merges their logs: every
message arrives, but the lesson (one actor whose state many tasks update through its handle) is
missed.

Fails: logging.run_experiments_complete
"""


def run_experiments(n_experiments=3, n_iterations=60, delay=1.0):
    loggers = [LoggingActor.remote() for _ in range(n_experiments)]
    ray.get([run_experiment.remote(i, loggers[i], n_iterations, delay) for i in range(n_experiments)])
    logs = {}
    for logger in loggers:
        logs.update(ray.get(logger.get_logs.remote()))
        ray.kill(logger)
    return logs
