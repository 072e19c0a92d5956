"""What crosses between the judge and the host process that runs the submission: one JSON object
per line each way, both directions of the format here.

Judge -> host: requests whose arguments are plain data, the grader's own objects as recipes
(RecordingTrainer, Provoking, Barrier: the host builds them again) and actors by name.
Host -> judge: replies whose values the host pickled; the judge unpickles them with
grader.judge.safe_ray.safe_loads, which runs none of the submission's code. An exception travels
as its class's name and its text.
"""

from __future__ import annotations

import base64
import builtins
import json

MAX_LINE_BYTES = 16 * 1024 * 1024
"""A reply longer than this is refused by the judge (a value too large to be an answer)."""


def dumps(message: dict) -> bytes:
    return (json.dumps(message) + "\n").encode()


def loads(line: bytes) -> dict:
    if len(line) > MAX_LINE_BYTES:
        raise ValueError(f"a message of {len(line):,} bytes")
    message = json.loads(line)
    if not isinstance(message, dict):
        raise ValueError("a message that is not a JSON object")
    return message


# Arguments, judge -> host.

def to_wire(value, actor_name):
    """actor_name(handle) -> the name the host finds that actor by."""
    from ray.actor import ActorHandle

    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, ActorHandle):
        return {"actor": actor_name(value)}
    if isinstance(value, (list, tuple)):
        return {"list" if isinstance(value, list) else "tuple": [to_wire(v, actor_name) for v in value]}
    if isinstance(value, dict):
        return {"dict": [[to_wire(k, actor_name), to_wire(v, actor_name)] for k, v in value.items()]}
    recipe = getattr(value, "recipe", None)
    if recipe is not None:
        kind, fields = recipe()
        return {"recipe": kind, "fields": {k: to_wire(v, actor_name) for k, v in fields.items()}}
    raise TypeError(f"the grader cannot send a {type(value).__name__} to the submission's process")


def from_wire(value, find_actor, recipes: dict):
    if not isinstance(value, dict):
        return value
    if "actor" in value:
        return find_actor(str(value["actor"]))
    if "list" in value:
        return [from_wire(v, find_actor, recipes) for v in value["list"]]
    if "tuple" in value:
        return tuple(from_wire(v, find_actor, recipes) for v in value["tuple"])
    if "dict" in value:
        return {from_wire(k, find_actor, recipes): from_wire(v, find_actor, recipes) for k, v in value["dict"]}
    if "recipe" in value:
        fields = {k: from_wire(v, find_actor, recipes) for k, v in value["fields"].items()}
        return recipes[value["recipe"]](**fields)
    raise ValueError(f"unknown argument {value!r:.100}")


# Values and errors, host -> judge.

def value_to_wire(value) -> dict:
    import ray
    from ray import cloudpickle

    if isinstance(value, ray.ObjectRef):
        return {"object_ref": value.hex()}
    try:
        return {"pickle": base64.b64encode(cloudpickle.dumps(value)).decode()}
    except Exception as error:
        return {"unpicklable": type(value).__name__, "why": f"{type(error).__name__}: {error}"[:300]}


def value_from_wire(data: dict):
    import ray

    from grader.judge.safe_ray import placeholder, safe_loads

    if "object_ref" in data:
        return ray.ObjectRef(bytes.fromhex(str(data["object_ref"])))
    if "pickle" in data:
        return safe_loads(base64.b64decode(str(data["pickle"])))
    return placeholder("", str(data.get("unpicklable", "object")))()


def error_to_wire(error: BaseException) -> dict:

    try:
        text = str(error)
    except Exception:
        text = type(error).__name__
    return {"type": type(error).__name__, "ray_class": _ray_class(error), "text": text[-20000:]}


def _ray_class(error: BaseException) -> str:
    import ray

    for cls in type(error).__mro__:
        if cls.__module__ == "ray.exceptions" and issubclass(cls, ray.exceptions.RayError):
            return cls.__name__
    return ""


def error_from_wire(data: dict) -> BaseException:
    """An exception the judge can explain as it would the original: Ray's by its text and class,
    a builtin by its class, any other by a class of the same name."""
    import ray

    from grader.judge.safe_ray import RaisedInSubmission

    text, name = str(data.get("text", "")), str(data.get("type", "Exception"))[:100]
    ray_class = getattr(ray.exceptions, str(data.get("ray_class", "")), None)
    if isinstance(ray_class, type) and issubclass(ray_class, ray.exceptions.RayError):
        cls = type(name, (RaisedInSubmission, ray_class), {"__init__": RaisedInSubmission.__init__})
        return cls(text)
    builtin = getattr(builtins, name, None)
    if isinstance(builtin, type) and issubclass(builtin, Exception):
        try:
            return builtin(text)
        except Exception:
            pass
    return type(name if name.isidentifier() else "Exception", (Exception,), {})(text)
