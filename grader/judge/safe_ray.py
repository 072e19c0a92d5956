"""Ray in the judge, made unable to run the submission's code.

Three ways Ray would otherwise run it on `ray.get` or when a handle is made:
- a value's pickle names classes and functions, which unpickling imports and calls (a student's
  `__reduce__` runs anything): here only plain builtins (and a few of collections'), Ray's
  own references (object refs, actor handles) and numpy's numbers (as the plain numbers they
  equal, decoded from their bytes) are rebuilt; every other class becomes a
  `Foreign` placeholder that records its name and arguments;
- an exception raised by the student's code travels pickled: here it is rebuilt from the text
  Ray saved beside it (the traceback), never unpickled;
- a handle to a student's actor loads the actor's class from the GCS (a pickle the submission
  wrote): here the class is made from the method names the contract declares, with no code.

`install()` changes this process only: the judge's, and the grader's own relay actor's (which the
submission's tasks send their log calls through).
"""

from __future__ import annotations

import collections
import io
import pickle
import struct

import ray
import ray.actor
import ray.exceptions
from ray._private import serialization

ALLOWED_CLASSES = {
    ("builtins", name): getattr(__import__("builtins"), name)
    for name in ("list", "dict", "tuple", "set", "frozenset", "str", "int", "float", "bool", "bytes",
                 "bytearray", "complex", "slice", "range")
}
ALLOWED_CLASSES.update({
    ("collections", "defaultdict"): collections.defaultdict,
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("collections", "Counter"): collections.Counter,
    # Ray's own rebuilders of an ObjectRef and an actor handle (ids and addresses; an actor's class
    # is then made from method names, see connect_handles): they run no submitted code.
    ("ray._private.serialization", "_object_ref_deserializer"): serialization._object_ref_deserializer,
    ("ray._private.serialization", "_actor_handle_deserializer"): serialization._actor_handle_deserializer,
})
MAX_VALUE_BYTES = 8 * 1024 * 1024


class Foreign:
    """Stands in for an object of a class the judge will not import: its class's name, and what
    its pickle would have passed to it (arguments, items, state), as plain data."""

    foreign_module = ""
    args: tuple = ()
    state = None

    def __init__(self, *args, **kwargs):
        self.args = args

    @property
    def items(self) -> dict:
        return self.__dict__.setdefault("_items", {})

    @property
    def listitems(self) -> list:
        return self.__dict__.setdefault("_listitems", [])

    @property
    def value(self):
        """An Enum member pickles as its class called with its value."""
        return self.args[0] if self.args else None

    def __setitem__(self, key, value):
        self.items[key] = value

    def append(self, value):
        self.listitems.append(value)

    def extend(self, values):
        self.listitems.extend(values)

    def __setstate__(self, state):
        self.state = state

    def __call__(self, *args, **kwargs):
        """Called: it stands for what the call made, another placeholder."""
        return placeholder(self.foreign_module, type(self).__name__ + "()")()


def _class_maker(*args, **kwargs) -> type:
    """cloudpickle rebuilds a class defined in the submission by calling a maker with the class's
    name second and its bases among the first three: here a placeholder class of that name; a
    subclass of a builtin value type (a `str` Enum, a dict or list subclass, a namedtuple) stays
    one, equal to its value as the original is."""
    name = args[1] if len(args) > 1 and isinstance(args[1], str) else "Foreign"
    bases = [b for a in args[:3] if isinstance(a, tuple) for b in a]
    return placeholder("submission", name, next((b for b in bases if b in VALUE_TYPES), None))

    def __repr__(self):
        shown = ", ".join(repr(a) for a in self.args[:3])
        return f"<{self.foreign_module}.{type(self).__name__}({shown})>"


VALUE_TYPES = (str, int, float, list, dict, tuple)
_placeholders: dict[tuple, type] = {}


class ForeignValue:
    """Mixed into a placeholder of a foreign subclass of a builtin value type: the value it holds."""

    def __new__(cls, *args, **kwargs):
        base = cls.__mro__[2]
        try:
            if base is tuple:  # a namedtuple is rebuilt from its fields
                value = base.__new__(cls, args)
            elif args and base not in (list, dict):  # those get their items after
                value = base.__new__(cls, args[0])
            else:
                value = base.__new__(cls)
        except (TypeError, ValueError):
            value = base.__new__(cls)
        value.args = args
        return value

    def __init__(self, *args, **kwargs):
        pass

    @property
    def value(self):
        return self.args[0] if self.args else None

    def __repr__(self):
        return f"<{type(self).__name__}: {type(self).__mro__[2].__repr__(self)}>"


def placeholder(module: str, name: str, builtin: type | None = None) -> type:
    """One Foreign subclass per foreign class, named like it (messages say `type(x).__name__`)."""
    key = (str(module)[:200], str(name)[:200], builtin)
    if key not in _placeholders:
        bases = (ForeignValue, builtin) if builtin else (Foreign,)
        _placeholders[key] = type(key[1].rsplit(".", 1)[-1] or "Foreign", bases,
                                  {"foreign_module": key[0], "__module__": "grader.judge.foreign"})
    return _placeholders[key]


NUMPY_SCALAR = {("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar")}
NUMBER_FORMATS = {"f2": "e", "f4": "f", "f8": "d"}


def _numpy_scalar(dtype=None, data=None, *rest):
    """numpy's pickle of a scalar: its dtype (here a placeholder holding the type code, 'i8', and
    byte order) and its raw bytes. A numpy integer, bool or float is the plain number it equals
    (np.int64(3) == 3: an index from np.arange is an index); any other scalar a placeholder."""
    code = dtype.args[0] if isinstance(dtype, Foreign) and dtype.args else None
    state = dtype.state if isinstance(dtype, Foreign) else None
    big = isinstance(state, tuple) and len(state) > 1 and state[1] == ">"
    if isinstance(code, str) and isinstance(data, bytes) and code[1:] == str(len(data)):
        if code[0] in "iu":
            return int.from_bytes(data, "big" if big else "little", signed=code[0] == "i")
        if code == "b1":
            return data != b"\x00"
        if code in NUMBER_FORMATS:
            return struct.unpack((">" if big else "<") + NUMBER_FORMATS[code], data)[0]
    return placeholder("numpy", "scalar")(dtype, data, *rest)


class _Unpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if str(module).startswith("ray.cloudpickle") and str(name).startswith("_make_skeleton_"):
            return _class_maker
        if (module, name) in NUMPY_SCALAR:
            return _numpy_scalar
        return ALLOWED_CLASSES.get((module, name)) or placeholder(module, name)


def safe_loads(data: bytes, buffers=None):
    """Unpickle without importing or calling anything but plain builtins (see ALLOWED_CLASSES)."""
    if len(data) > MAX_VALUE_BYTES:
        raise ValueError(f"a value of {len(data):,} bytes (more than {MAX_VALUE_BYTES:,})")
    return _Unpickler(io.BytesIO(data), buffers=buffers).load()


class RaisedInSubmission(ray.exceptions.RayError):
    """An exception of the submission's, known by the text Ray saved with it (its traceback)."""

    def __init__(self, text: str):
        Exception.__init__(self, text)  # not super(): a subclass may also be one of Ray's errors
        self.text = text

    def __str__(self):
        return self.text


def _deserialize_pickle5_data(self, data, out_of_band_tensors):
    in_band, buffers = serialization.unpack_pickle5_buffers(data)
    return safe_loads(bytes(in_band), buffers=buffers or None)


def _exception_from_text(ray_exception):
    return RaisedInSubmission(str(getattr(ray_exception, "formatted_exception_string", "") or
                                  "an exception whose description was not kept"))


def _class_without_code(methods: tuple[str, ...]):
    def load_actor_class(job_id, descriptor):
        def method(self, *args, **kwargs):
            raise RuntimeError("the judge never runs an actor's code")

        name = str(descriptor.class_name).rsplit(".", 1)[-1] or "Actor"
        return ray.actor._modify_class(type(name, (), {m: method for m in methods}))

    return load_actor_class


def install(methods: tuple[str, ...]) -> None:
    """Make this process's Ray decode values and exceptions without running submitted code, and,
    once connected (connect_handles), make a handle to any actor of another job from `methods`
    (the contract's, whatever the class is called) instead of loading its class."""
    serialization.SerializationContext._deserialize_pickle5_data = _deserialize_pickle5_data
    ray.exceptions.RayError.from_ray_exception = staticmethod(_exception_from_text)
    _methods[:] = methods


_methods: list[str] = []


def connect_handles() -> None:
    """After ray.init: actor classes of other jobs are made from names, never loaded."""
    manager = ray._private.worker.global_worker.function_actor_manager
    manager.load_actor_class = _class_without_code(tuple(_methods))
