"""Alternative correct Supervisor: an async actor that keeps its workers in a dict keyed by
position and awaits the workers' state refs with asyncio.gather instead of calling ray.get.

Fails: none
"""
import asyncio


@ray.remote
class Supervisor:
    def __init__(self, models=None):
        models = DEFAULT_MODELS if models is None else models
        self._workers = {i: Worker.remote(model_type, train_fn) for i, (model_type, train_fn) in enumerate(models)}

    async def work(self):
        for worker in self._workers.values():
            worker.work.remote()

    async def state(self):
        refs = [self._workers[i].state.remote() for i in sorted(self._workers)]
        return list(await asyncio.gather(*refs))

    async def terminate(self):
        for worker in self._workers.values():
            ray.kill(worker)
