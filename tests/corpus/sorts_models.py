"""The supervisor makes its workers in the sorted order of the model names, not in the order it
was given them: state() then answers in an order the caller cannot map back to its models.

Fails: supervisor.state_values
"""


@ray.remote
class Supervisor:
    def __init__(self, models=None):
        models = sorted(DEFAULT_MODELS if models is None else models, key=lambda model: model[0])
        self._workers = [Worker.remote(model_type, train_fn) for model_type, train_fn in models]

    def work(self) -> None:
        for worker in self._workers:
            worker.work.remote()

    def state(self) -> list:
        return ray.get([worker.state.remote() for worker in self._workers])

    def terminate(self) -> None:
        for worker in self._workers:
            ray.kill(worker)
