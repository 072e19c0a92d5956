"""Alternative correct Worker: a plain actor that trains in a background thread.

Fails: none
"""
import threading


@ray.remote
class Worker:
    def __init__(self, model_type, train_fn):
        self._model = model_factory(model_type, train_fn)
        self._state = "PENDING"
        self._thread = None

    def _train(self):
        self._model.train()
        self._state = "DONE"

    def work(self):
        self._state = "RUNNING"
        self._thread = threading.Thread(target=self._train, daemon=True)
        self._thread.start()

    def state(self):
        return self._state
