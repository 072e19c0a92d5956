"""Alternative tree and logger whose classes are written under names of their own and bound to
the contract's names with ray.remote(...): Ray records their actors as Trainer, Boss and
LogStore. The logger's max_concurrency is a named constant that is 1.

Fails: none
"""

LOGGER_THREADS = 1


class Trainer:
    def __init__(self, model_type: str, train_fn):
        self._model_type = model_type
        self._train_fn = train_fn
        self._state = "PENDING"

    def work(self) -> None:
        self._state = "RUNNING"
        model_factory(self._model_type, self._train_fn).train()
        self._state = "DONE"

    def state(self) -> str:
        return self._state


Worker = ray.remote(max_concurrency=2)(Trainer)


class Boss:
    def __init__(self, models=None):
        self._workers = [Worker.remote(m, f) for m, f in (DEFAULT_MODELS if models is None else models)]

    def work(self) -> None:
        for worker in self._workers:
            worker.work.remote()

    def state(self) -> list:
        return ray.get([worker.state.remote() for worker in self._workers])

    def terminate(self) -> None:
        for worker in self._workers:
            ray.kill(worker)


Supervisor = ray.remote(Boss)


class LogStore:
    def __init__(self):
        self._logs = {}

    def log(self, index, message) -> None:
        self._logs.setdefault(index, []).append(message)

    def get_logs(self) -> dict:
        return {index: list(messages) for index, messages in self._logs.items()}


LoggingActor = ray.remote(max_concurrency=LOGGER_THREADS)(LogStore)
