"""The tutorial author's own way: launch the experiments, then read the logs after time.sleep(1)
three times, printing what has arrived so far. It passed or failed by the machine's speed; a
sleep is not a wait, so it now fails on every machine.

Fails: logging.run_experiments_complete
"""


@ray.remote
def run_experiment(experiment_index, logging_actor, n_iterations=60, delay=1.0):
    for i in range(n_iterations):
        time.sleep(delay)
        logging_actor.log.remote(experiment_index, f"On iteration {i}")


def run_experiments(n_experiments=3, n_iterations=60, delay=1.0):
    logging_actor = LoggingActor.remote()
    [run_experiment.remote(i, logging_actor, n_iterations, delay) for i in range(n_experiments)]
    for _ in range(3):
        time.sleep(1)
        logs = ray.get(logging_actor.get_logs.remote())
        print({index: len(messages) for index, messages in logs.items()})
    ray.kill(logging_actor)
    return logs
