"""Check the shape of a submission before its behaviour: each name exists, is (or is not)
`@ray.remote`, and accepts the arguments the checks will pass. One precise message per name
beats a cascade of AttributeErrors."""

from __future__ import annotations

import inspect

import ray

from grader.checks.observe import task_function
from grader.records import ACTOR, FUNCTION, REMOTE_FUNCTION, Expected


def contract_methods(contract: tuple[Expected, ...]) -> tuple[str, ...]:
    """Every method the contract's actor classes have (what a handle made without the class offers)."""
    return tuple(dict.fromkeys(m for e in contract if e.kind == ACTOR for m, _, _ in e.calls if m and m != "__init__"))


def inspect_shape(namespace: dict, load_failures: dict[str, str], contract: tuple[Expected, ...]) -> dict[str, str]:
    """{name: problem} for every name of the assignment's contract that the checks cannot use as it says."""
    problems = {}
    for expected in contract:
        problem = _problem(expected, namespace, load_failures)
        if problem:
            problems[expected.name] = problem
    return problems


def _problem(expected: Expected, namespace: dict, load_failures: dict[str, str]) -> str:
    name = expected.name
    if name not in namespace:
        if name in load_failures:
            return f"{name} is not defined because {load_failures[name]}"
        return (f"{name} is not defined. The assignment expects `{expected.signature}`; check the spelling "
                "and that its cell was not deleted.")
    value = namespace[name]
    is_actor = isinstance(value, ray.actor.ActorClass)
    is_remote_function = isinstance(value, ray.remote_function.RemoteFunction)
    if expected.kind == ACTOR and not is_actor:
        if inspect.isclass(value):
            return f"{name} is a plain class: decorate it with @ray.remote so that {name}.remote(...) creates an actor."
        return f"{name} should be a Ray actor class (`@ray.remote` on `class {name}`), but it is {_kind(value)}."
    if expected.kind == REMOTE_FUNCTION and not is_remote_function:
        if inspect.isfunction(value):
            return (f"{name} is a plain function: decorate it with @ray.remote so that {name}.remote(...) runs it "
                    "as a task.")
        return f"{name} should be a Ray remote function (`@ray.remote` on `def {name}`), but it is {_kind(value)}."
    if expected.kind == FUNCTION and not inspect.isfunction(value):
        if is_remote_function:
            return f"{name} should be a plain function called by the driver; remove its @ray.remote decorator."
        return f"{name} should be a function (`{expected.signature}`), but it is {_kind(value)}."
    return _signature_problem(expected, value)


def _kind(value) -> str:
    return f"a {type(value).__name__}" if not inspect.isclass(value) else f"the class {value.__name__}"


def _signature_problem(expected: Expected, value) -> str:
    """Every method missing and every signature the checks cannot call, in one message: a student
    who fixes the first must not learn of the next one a submission later."""
    missing, mismatched = [], {}
    for method, args, kwargs in expected.calls:
        target = _callable(expected, value, method)
        if target is None:
            if method != "__init__" and f"{method}()" not in missing:
                missing.append(f"{method}()")
            continue
        try:
            signature = inspect.signature(target)
        except (TypeError, ValueError):
            continue
        params = [p for p in signature.parameters.values() if p.name != "_ray_trace_ctx"]
        signature = signature.replace(parameters=params)
        if method:
            args = (None,) + tuple(args)  # self
        try:
            signature.bind(*args, **kwargs)
        except TypeError as error:
            label = f"{expected.name}.{method}" if method else expected.name
            mismatched.setdefault(label, f"{label}{signature} cannot be called the way the assignment says ({error})")
    parts = []
    if missing:
        parts.append(f"{expected.name} has no method{'s' if len(missing) > 1 else ''} {_and(missing)}")
    parts.extend(mismatched.values())
    return f"{'; '.join(parts)}. Expected `{expected.signature}`." if parts else ""


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _callable(expected: Expected, value, method: str):
    if expected.kind == ACTOR:
        cls = value.__ray_actor_class__
        return getattr(cls, method, None) if method else cls
    if expected.kind == REMOTE_FUNCTION:
        return task_function(value)
    return value
