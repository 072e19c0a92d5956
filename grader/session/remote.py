"""The judge's `sub`: the submission as the checks see it, when its code runs in a host process
(grader.session.host) and never in the judge.

The checks use it as they use grader.session.context.Grading in a student's own kernel:
`sub.Supervisor.remote(models)` returns a handle the judge calls directly (made without the
student's class, grader.judge.safe_ray), `sub.run_experiments(...)` is answered by the host,
`sub.run_experiment.remote(...)` is launched there and waited for there. A host that ends
(os._exit, a crash, a kill) costs the request it was serving; the next one starts a new host.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import psutil

from grader.checks import CheckFailed
from grader.checks.explain import explain
from grader.judge.source import Declared
from grader.session import wire
from grader.session.host import HOST_ENV, HOST_WRAP
from grader.session.context import Grading
from grader.records import ACTOR, FUNCTION, REMOTE_FUNCTION, Expected
from grader.session.shape import contract_methods

MAX_HOSTS = 4
"""The first host and the ones started after it ended: a submission that ends every host it gets
loses the checks after the fourth."""


LOAD_DIED = ("your code ended the process it was loaded in (exit status {code}): it calls os._exit() or crashes "
             "the Python interpreter at its top level")


class HostGone(CheckFailed):
    """The host ended before it answered: the submission's doing (its feedback says so)."""

    def __init__(self, returncode):
        super().__init__(f"the process running the submission ended (exit status {returncode})")
        self.returncode = returncode


class HostProcess:
    """One host process and the replies it owes."""

    def __init__(self, command_for, env: dict, cwd: Path):
        requests_read, self._requests = os.pipe()
        self._replies, replies_write = os.pipe()
        command = command_for(requests_read, replies_write)
        try:
            self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, env=env, close_fds=True, cwd=cwd,
                                            pass_fds=(requests_read, replies_write))
        finally:
            os.close(requests_read)
            os.close(replies_write)
        self._ids = itertools.count(1)
        self._waiting: dict[int, list] = {0: [threading.Event(), None]}
        self._lock = threading.Lock()
        self.returncode = None
        self.stray_lines = 0
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        try:
            self._read_replies()
        finally:
            self.returncode = self.process.wait()
            with self._lock:
                for slot in self._waiting.values():
                    slot[0].set()

    def _read_replies(self) -> None:
        with os.fdopen(self._replies, "rb") as replies:
            while line := replies.readline(wire.MAX_LINE_BYTES + 1):
                try:
                    message = wire.loads(line)
                except Exception:  # anything at all: the submission's code may write here
                    message = {}
                slot = self._waiting.get(message.get("id")) if isinstance(message.get("id"), int) else None
                if slot is not None and slot[1] is None:
                    slot[1] = message
                    slot[0].set()
                else:  # not a reply the judge is owed: the submission's code wrote it (never obeyed)
                    self.stray_lines += 1

    def ask(self, request: dict) -> dict:
        """The host's reply; HostGone if it ended first."""
        with self._lock:
            if self.returncode is not None:
                raise HostGone(self.returncode)
            request_id = next(self._ids)
            slot = self._waiting[request_id] = [threading.Event(), None]
            self._send(wire.dumps({**request, "id": request_id}))
        return self._wait(slot)

    def tell_address(self, address: str) -> None:
        """The Ray head's address, to a host started with "--address -" (the first line it reads)."""
        self._send(wire.dumps({"address": address}))

    def _send(self, data: bytes) -> None:
        try:
            while data:
                data = data[os.write(self._requests, data):]
        except OSError:
            pass  # it is ending: the reader sees it

    def first_message(self) -> dict:
        return self._wait(self._waiting[0])

    def _wait(self, slot) -> dict:
        slot[0].wait()
        if slot[1] is None:
            raise HostGone(self.returncode)
        return slot[1]

    def stop(self) -> None:
        """End the host and what it started (in a sandbox, Popen's process is nsenter, its parent)."""
        with contextlib.suppress(OSError):
            os.close(self._requests)
        try:
            family = [*psutil.Process(self.process.pid).children(recursive=True), psutil.Process(self.process.pid)]
        except psutil.Error:
            family = []
        for process in family:
            with contextlib.suppress(psutil.Error):
                process.kill()
        self.process.wait()


class RemoteSubmission(Grading):
    def __init__(self, start_host, namespace: str, scratch_root: Path, evidence_root: Path,
                 contract: tuple[Expected, ...]):
        """start_host(address) -> a new HostProcess for the same submission; address "-": it is
        told the Ray head's address later (HostProcess.tell_address). contract: the names the
        checks may ask for, and what each is."""
        super().__init__(None, {}, "", scratch_root, evidence_root, actor_methods=contract_methods(contract))
        self._kinds = {expected.name: expected.kind for expected in contract}
        self._start_host = start_host
        self._address = ""
        self._early: HostProcess | None = None
        self.declared = Declared()
        """What the submission's text declares, read by the judge (grader.judge.source)."""
        self._namespace = namespace
        self._names: dict[str, str] = {}
        self._hosts_started = 0
        self._host = None
        self._hosts: list[HostProcess] = []
        self.loaded: dict = {}
        self.replaced_names: list[str] = []
        self.deaths: list = []
        """Exit statuses of hosts that ended while serving a request, since the plugin last looked."""
        self._host_lock = threading.Lock()

    def prestart(self) -> None:
        """Start the first host before the Ray head is up: it imports meanwhile, and waits for the
        address (start) before it loads any code of the submission's."""
        self._early = self._start_host("-")

    def start(self, address: str) -> dict:
        """Start the first host (or let the prestarted one go on); what it reported once the
        submission was loaded (or why not)."""
        self._address = address
        if self._early is not None:
            self._early.tell_address(address)
        self._current_host()
        self.problem = str(self.loaded.get("problem") or "")
        self.shape_problems = {str(k): str(v) for k, v in (self.loaded.get("shape") or {}).items()}
        return self.loaded

    def _current_host(self) -> HostProcess | None:
        with self._host_lock:
            if self._host is not None and self._host.returncode is None:
                return self._host
            if self._hosts_started >= MAX_HOSTS:
                return None
            self._hosts_started += 1
            self._host, self._early = self._early or self._start_host(self._address), None
            self._hosts.append(self._host)
            try:
                message = self._host.first_message()
            except HostGone as gone:
                message = {"loaded": {"problem": LOAD_DIED.format(code=gone.returncode)}}
            if self._hosts_started == 1:
                self.loaded = message["loaded"] if isinstance(message.get("loaded"), dict) else \
                    {"crashed": str(message.get("crashed", ""))[:6000]}
            return self._host

    def ask(self, request: dict, host: HostProcess | None = None) -> dict:
        """The reply of the current host, or of `host` (the one a task was launched in)."""
        host = host or self._current_host()
        if host is None:
            raise HostGone(f"(it ended {MAX_HOSTS} times)")
        try:
            reply = host.ask(request)
        except HostGone as gone:
            self.deaths.append(gone.returncode)
            raise
        self.replaced_names.extend(str(n) for n in reply.get("replaced") or ())
        if "error" in reply:
            raise wire.error_from_wire(reply["error"])
        return reply

    def host_of(self, reply: dict) -> HostProcess | None:
        return self._hosts[-1] if self._hosts else None

    def stop(self) -> None:
        for host in [*self._hosts, *([self._early] if self._early else [])]:
            host.stop()
        self.close()

    def stray_lines(self) -> int:
        """Lines no request asked for, written into the hosts' channels to the judge."""
        return sum(host.stray_lines for host in self._hosts)

    def take_tampering(self) -> list[str]:
        taken, self.replaced_names = self.replaced_names, []
        return taken

    def take_deaths(self) -> list:
        taken, self.deaths = self.deaths, []
        return taken

    # What the checks use.

    def __getattr__(self, name):
        kind = self.__dict__.get("_kinds", {}).get(name)
        if name.startswith("_") or kind is None:
            raise AttributeError(name)
        if kind == ACTOR:
            return _ActorClass(self, name)
        if kind == REMOTE_FUNCTION:
            return _Task(self, name, {})
        if kind == FUNCTION:
            return lambda *args, **kwargs: self._call(name, args, kwargs)
        raise AttributeError(name)

    def _wire(self, args, kwargs) -> dict:
        return {"args": [wire.to_wire(a, self._name_of) for a in args],
                "kwargs": {k: wire.to_wire(v, self._name_of) for k, v in kwargs.items()}}

    def _name_of(self, handle) -> str:
        return self._names[handle._actor_id.hex()]

    def _call(self, name, args, kwargs):
        reply = self.ask({"op": "call", "function": name, **self._wire(args, kwargs)})
        return wire.value_from_wire(reply.get("value") or {})

    def call_serving_sleeps(self, function: str, *args, **kwargs) -> tuple[object, int]:
        reply = self.ask({"op": "call", "function": function, "serve_sleeps": True, **self._wire(args, kwargs)})
        sleeps = reply.get("sleeps")  # the host's word: it words the feedback, it decides nothing
        return wire.value_from_wire(reply.get("value") or {}), sleeps if type(sleeps) is int else 0

    def _named_handle(self, name: str):
        import ray

        handle = ray.get_actor(name, namespace=self._namespace)
        self._names[handle._actor_id.hex()] = name
        return handle

    def create(self, class_name: str, args, kwargs):
        name = f"{class_name}-{uuid.uuid4().hex[:12]}"
        self.ask({"op": "create", "class": class_name, "name": name, **self._wire(args, kwargs)})
        return self._named_handle(name)

    def list_length(self, name: str) -> int | None:
        """len() of the contract's list `name`: what the submission's text declares
        (grader.judge.source), else what its host says; None where it is not a list."""
        if name in self.declared.lengths:
            return self.declared.lengths[name]
        lengths = self.loaded.get("lengths")
        count = lengths.get(name) if isinstance(lengths, dict) else None
        return count if type(count) is int else None

    def class_names(self, name: str) -> set[str]:
        """From the submission's text alone (grader.judge.source): a name the host reported would
        let it hide its actors from the checks that count them."""
        return self.declared.class_names(name)

    def concurrency_of(self, class_name: str) -> tuple[list[str], int]:
        """The stricter of the host's word and the submission's text (grader.judge.source)."""
        reply = self.ask({"op": "concurrency", "class": class_name})
        written_methods, written_limit = self.declared.concurrency(class_name)
        methods = list(dict.fromkeys([*written_methods, *(str(m) for m in reply.get("async_methods") or ())]))
        limit = reply.get("max_concurrency")
        return methods, max(written_limit, limit if type(limit) is int else 1)

    def instrument(self, actor_class, *args):
        name = f"grader-{uuid.uuid4().hex[:12]}"
        handle = actor_class.options(name=name, namespace=self._namespace).remote(*args)
        self._names[handle._actor_id.hex()] = name
        return handle

    @contextlib.contextmanager
    def replaced(self, name: str, value):
        try:
            self.ask({"op": "replace", "name": name, "value": wire.to_wire(value, self._name_of)})
        except (HostGone, CheckFailed):
            raise
        except Exception as error:  # e.g. the submission killed the grader's actor the recipe names
            raise CheckFailed(f"the grader could not put its own {name} in place: "
                              f"{explain(error, 'building it in your process')}.") from None
        try:
            yield None
        finally:
            with contextlib.suppress(HostGone):
                self.ask({"op": "restore", "name": name})


class _ActorClass:
    def __init__(self, submission: RemoteSubmission, name: str):
        self._submission, self._name = submission, name

    def remote(self, *args, **kwargs):
        return self._submission.create(self._name, args, kwargs)


class _Task:
    def __init__(self, submission: RemoteSubmission, name: str, options: dict):
        self._submission, self._name, self._options = submission, name, options

    def options(self, **options):
        return _Task(self._submission, self._name, {**self._options, **options})

    def remote(self, *args, **kwargs):
        reply = self._submission.ask({"op": "launch", "function": self._name, "options": self._options,
                                      **self._submission._wire(args, kwargs)})
        return HostTask(self._submission, self._submission.host_of(reply), str(reply.get("task")))


class HostTask:
    """A task the host launched: waited for by the host (grader.checks.calls.get knows it)."""

    def __init__(self, submission: RemoteSubmission, host, key: str):
        self.submission, self.host, self.key = submission, host, key

    @staticmethod
    def wait_in_host(tasks: list, timeout: float) -> bool:
        """True once every task has finished; False at the timeout; the task's error raised."""
        request = {"op": "wait", "tasks": [t.key for t in tasks], "timeout": timeout}
        return not tasks[0].submission.ask(request, host=tasks[0].host).get("timed_out")


def host_starter(submission: Path, scratch: Path, namespace: str, contract: tuple[Expected, ...],
                 rubric: tuple[str, ...] = ()):
    """start_host(address) for RemoteSubmission: a host's command line in the sandbox the parent
    named (HOST_WRAP), with the judge's environment and the guard's audit hook on (HOST_ENV). The
    contract goes on its command line: the host cannot read the assignment's folder."""
    contract_text = json.dumps([expected.to_json() for expected in contract])
    prefix = json.loads(os.environ.get(HOST_WRAP) or "[]")
    environment = {k: v for k, v in os.environ.items() if k not in (HOST_WRAP, HOST_ENV)}
    environment.update(json.loads(os.environ.get(HOST_ENV) or "{}"))

    def start_host(address: str) -> HostProcess:
        def command(requests_fd: int, replies_fd: int) -> list[str]:
            return [*prefix, sys.executable, "-m", "grader.session.host", "--address", address,
                    "--namespace", namespace, "--requests-fd", str(requests_fd), "--replies-fd", str(replies_fd),
                    "--scratch", str(scratch), "--contract", contract_text, "--rubric", ",".join(rubric),
                    str(submission)]

        return HostProcess(command, environment, scratch)

    return start_host
