"""A correct solution written independently of the reference (another structure, other names):
copied-work detection must not pair it with the reference."""


@ray.remote(max_concurrency=4)
class Worker:
    def __init__(self, model_type: str, train_fn):
        self.kind = model_type
        self.fn = train_fn
        self.phase = 0  # index into STATES

    def work(self) -> None:
        self.phase = 1
        trained = model_factory(self.kind, self.fn)
        trained.train()
        self.phase = 2

    def state(self) -> str:
        return STATES[self.phase]


@ray.remote
class Supervisor:
    def __init__(self, models=None):
        chosen = DEFAULT_MODELS if models is None else models
        self.pool = {}
        for position, (name, fn) in enumerate(chosen):
            self.pool[position] = Worker.remote(name, fn)

    def work(self) -> None:
        _ = [handle.work.remote() for handle in self.pool.values()]

    def state(self) -> list:
        pending = {k: w.state.remote() for k, w in self.pool.items()}
        return [ray.get(pending[k]) for k in sorted(pending)]

    def terminate(self) -> None:
        while self.pool:
            _, handle = self.pool.popitem()
            ray.kill(handle)


def run_supervisor(models=None, poll_interval: float = 0.5) -> list:
    boss = Supervisor.remote(models)
    ray.get(boss.work.remote())
    seen = [ray.get(boss.state.remote())]
    while set(seen[-1]) != {"DONE"}:
        time.sleep(poll_interval)
        seen.append(ray.get(boss.state.remote()))
    ray.get(boss.terminate.remote())
    ray.kill(boss)
    return seen


@ray.remote
class LoggingActor:
    def __init__(self):
        self.entries = {}

    def log(self, index, message) -> None:
        if index not in self.entries:
            self.entries[index] = []
        self.entries[index] += [message]

    def get_logs(self) -> dict:
        return {key: value[:] for key, value in self.entries.items()}


@ray.remote
def run_experiment(experiment_index, logging_actor, n_iterations: int = 60, delay: float = 1.0) -> None:
    sent = []
    i = 0
    while i < n_iterations:
        time.sleep(delay)
        sent.append(logging_actor.log.remote(experiment_index, "On iteration " + str(i)))
        i += 1
    ray.wait(sent, num_returns=len(sent))


def run_experiments(n_experiments: int = 3, n_iterations: int = 60, delay: float = 1.0) -> dict:
    collector = LoggingActor.remote()
    futures = list(map(lambda e: run_experiment.remote(e, collector, n_iterations, delay), range(n_experiments)))
    ray.wait(futures, num_returns=n_experiments)
    result = ray.get(collector.get_logs.remote())
    ray.kill(collector)
    return result
