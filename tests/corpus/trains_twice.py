"""Worker.work trains the model twice.

Fails: supervisor.trains_each_model
"""


@ray.remote(max_concurrency=2)
class Worker:
    def __init__(self, model_type, train_fn):
        self._model_type, self._train_fn = model_type, train_fn
        self._state = "PENDING"

    def work(self):
        self._state = "RUNNING"
        model_factory(self._model_type, self._train_fn).train()
        model_factory(self._model_type, self._train_fn).train()
        self._state = "DONE"

    def state(self):
        return self._state
