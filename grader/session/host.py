"""The host: the process in which the submission's code runs while the judge grades it.
`python -m grader.session.host --address ... --requests-fd R --replies-fd W SUBMISSION`.

Started by the judge (grader.session.__main__) with two pipes and no other descriptor of the
judge's (not its journal). It loads the submission, says what it found, then does what the judge
asks, each request in a thread of its own (a call that never returns holds up nothing else):
create one of the student's actors under a name the judge then finds it by, call a driver-side
function, launch a task and wait for it, swap a global for a grader recipe. Whatever it answers is
a claim: the student's code runs here and could change any of it (grader.session.wire says what
the judge does with it). Replaced grading machinery is still put back and reported, as a flag.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import itertools
import json
import logging
import os
import sys
import threading
import traceback
from pathlib import Path

from grader.session import wire

HOST_WRAP = "GRADER_HOST_WRAP"
"""The judge's environment: (JSON) the command that puts a host in the submission's sandbox, as
its student user (grader.runtime.sandbox.Sandbox.wrap)."""
HOST_ENV = "GRADER_HOST_ENV"
"""The judge's environment: (JSON) what the host's differs by: the guard file its audit hook reads
(the judge runs none), its home and temp folder in the sandbox (the judge's are its own)."""


class Channel:
    def __init__(self, requests_fd: int, replies_fd: int):
        self._requests = os.fdopen(requests_fd, "rb")
        self._replies_fd = replies_fd
        self._lock = threading.Lock()

    def send(self, message: dict) -> None:
        data = wire.dumps(message)
        with self._lock:
            while data:
                data = data[os.write(self._replies_fd, data):]

    def address(self) -> str:
        """The first line the judge sends a host started with "--address -"."""
        line = self._requests.readline()
        if not line:
            raise SystemExit("the judge ended before it sent the Ray head's address")
        return str(wire.loads(line).get("address") or "")

    def requests(self):
        for line in self._requests:
            yield wire.loads(line)


class Host:
    def __init__(self, module, namespace: str, snapshot):
        self.module = module
        self.namespace = namespace
        self.snapshot = snapshot
        self.actors: dict = {}
        self.tasks: dict = {}
        self.put_back: dict = {}
        """{name: what puts the submission's own global back} while a grader's stands in for it."""
        self._keys = itertools.count(1)

    def answer(self, request: dict, channel: Channel) -> None:
        try:
            reply = getattr(self, "op_" + str(request.get("op")))(request)
        except BaseException as error:  # the student's code may raise anything, even SystemExit
            reply = {"error": wire.error_to_wire(error)}
        reply["id"] = request.get("id")
        reply["replaced"] = self.snapshot.restore()
        channel.send(reply)

    def _arguments(self, request: dict):
        from grader.checks.probes import RECIPES

        args = [wire.from_wire(a, self._actor, RECIPES) for a in request.get("args", [])]
        kwargs = {k: wire.from_wire(v, self._actor, RECIPES) for k, v in request.get("kwargs", {}).items()}
        return args, kwargs

    def _actor(self, name: str):
        import ray

        return self.actors.get(name) or ray.get_actor(name, namespace=self.namespace)

    def op_create(self, request: dict) -> dict:
        args, kwargs = self._arguments(request)
        actor_class = getattr(self.module, request["class"])
        actor_class.remote  # noqa: B018 - a plain class fails here, as the student's own .remote() would
        handle = actor_class.options(name=request["name"], namespace=self.namespace).remote(*args, **kwargs)
        self.actors[request["name"]] = handle
        return {}

    def op_call(self, request: dict) -> dict:
        from grader.checks.clock import sleeps_served_at_once

        args, kwargs = self._arguments(request)
        function = getattr(self.module, request["function"])
        serving = request.get("serve_sleeps")
        with sleeps_served_at_once(self.module.__dict__) if serving else contextlib.nullcontext([]) as served:
            value = function(*args, **kwargs)
        return {"value": wire.value_to_wire(value), **({"sleeps": len(served)} if serving else {})}

    def op_launch(self, request: dict) -> dict:
        args, kwargs = self._arguments(request)
        function = getattr(self.module, request["function"])
        if request.get("options"):
            function = function.options(**request["options"])
        key = str(next(self._keys))
        self.tasks[key] = function.remote(*args, **kwargs)
        return {"task": key}

    def op_wait(self, request: dict) -> dict:
        import ray

        refs = [self.tasks[key] for key in request["tasks"]]
        try:
            ray.get(refs, timeout=float(request["timeout"]))
        except ray.exceptions.GetTimeoutError:
            return {"timed_out": True}
        return {}

    def op_replace(self, request: dict) -> dict:
        from grader.checks.probes import RECIPES, stand_in

        name = request["name"]
        if name in self.put_back:
            self.put_back.pop(name)()
        recipe = wire.from_wire(request["value"], self._actor, RECIPES)
        self.put_back[name] = stand_in(self.module.__dict__, name, recipe)
        return {}

    def op_restore(self, request: dict) -> dict:
        if request["name"] in self.put_back:
            self.put_back.pop(request["name"])()
        return {}

    def op_concurrency(self, request: dict) -> dict:
        from grader.checks.observe import concurrency

        async_methods, max_concurrency = concurrency(getattr(self.module, request["class"]))
        return {"async_methods": async_methods, "max_concurrency": max_concurrency}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m grader.session.host")
    parser.add_argument("--address", required=True, help="the Ray head's address, or - to read it from the "
                        "requests first (the judge starts the host while the head is still starting)")
    parser.add_argument("--namespace", required=True)
    parser.add_argument("--requests-fd", required=True, type=int)
    parser.add_argument("--replies-fd", required=True, type=int)
    parser.add_argument("--scratch", required=True, type=Path)
    parser.add_argument("--contract", required=True,
                        help="(JSON) the assignment's contract: the names the judge may ask for, and what each is")
    parser.add_argument("--rubric", default="", help="the rubric's modules, comma-separated (watched, never run here)")
    parser.add_argument("submission", type=Path)
    args = parser.parse_args(argv)
    channel = Channel(args.requests_fd, args.replies_fd)
    try:
        serve(args, channel)
    except BaseException:
        channel.send({"id": 0, "crashed": traceback.format_exc()[-6000:]})
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)  # student threads (blocked in ray.get) must not keep this process alive


def serve(args, channel: Channel) -> None:
    import ray

    from grader.records import VALUE, Expected
    from grader.session.integrity import Snapshot, tamper_flag
    from grader.session.loader import load
    from grader.session.ray_calls import keep_grader_runtime
    from grader.session.shape import inspect_shape

    # Everything this process will use of the grader is imported before the snapshot, which watches
    # the grader modules loaded by then: a submission may patch its own copy of any of them. The
    # rubric runs in the judge, out of reach; its modules that can be imported here are watched all
    # the same, so that trying to patch one is flagged (a rubric in its assignment's folder cannot
    # be: the sandbox hides that folder).
    import grader.checks.clock  # noqa: F401 - op_call's
    import grader.checks.observe  # noqa: F401 - op_concurrency's
    import grader.checks.probes  # noqa: F401 - the recipes'

    for name in filter(None, args.rubric.split(",")):
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    contract = tuple(Expected.from_json(entry) for entry in json.loads(args.contract))
    address = channel.address() if args.address == "-" else args.address
    ray.init(address=address, namespace=args.namespace, logging_level=logging.ERROR, log_to_driver=False)
    notes: dict[str, None] = {}
    keep_grader_runtime(notes)
    os.chdir(args.scratch)
    snapshot = Snapshot()
    loaded = load(args.submission)
    replaced = snapshot.restore()
    module = loaded.module
    shape = inspect_shape(module.__dict__, loaded.failures, contract) if module else {}
    lists = {e.name: getattr(module, e.name, None) for e in contract if e.kind == VALUE} if module else {}
    channel.send({"id": 0, "loaded": {
        "problem": loaded.problem, "notes": loaded.notes + list(notes), "shape": shape,
        "flags": [tamper_flag(replaced, "while it was loaded")] if replaced else [],
        "lengths": {name: len(value) for name, value in lists.items() if isinstance(value, list)}}})
    host = Host(module, args.namespace, snapshot)
    for request in channel.requests():
        threading.Thread(target=host.answer, args=(request, channel), daemon=True).start()


if __name__ == "__main__":
    main()
