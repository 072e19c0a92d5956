"""The seed tutorial's Worker: a plain actor whose state() guesses with random.choice.

Fails: supervisor.state_values supervisor.running_visible
"""
import random


@ray.remote
class Worker:
    def __init__(self, model_type, train_fn):
        self._model_type = model_type
        self._train_fn = train_fn

    def work(self):
        model_factory(self._model_type, self._train_fn).train()

    def state(self):
        return random.choice(STATES)
