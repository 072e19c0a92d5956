"""Shipped at the top of the students' kit and imported at start-up by actor_tree_kit.pth: in Ray's
worker processes only, `rfc3987_syntax` is loaded when it is first used instead of when Ray
starts.

Why: every Ray worker imports Ray, Ray imports jsonschema, and jsonschema imports rfc3987_syntax
where Jupyter installed it, which builds a Lark grammar at import: 2.4 s of CPU per worker, for an
IRI check that grading never uses. A notebook's self-check starts about twenty workers.

What the code in a worker sees does not change: `import rfc3987_syntax` gives a module whose every
name is the real one, loaded on first access (jsonschema's `is_valid_syntax` included), and the
real module replaces it in sys.modules from then on. Any other process is left alone.
"""

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys

_NAME = "rfc3987_syntax"


def _real():
    """The real module (loaded on first use; it then replaces the stand-in in sys.modules)."""
    module = sys.modules.get(_NAME)
    if module is None or getattr(module, "__actor_tree_stand_in__", False):
        sys.modules.pop(_NAME, None)
        _Finder.done = True
        module = importlib.import_module(_NAME)
    return module


class _StandIn(importlib.abc.Loader):
    def create_module(self, spec):
        return None

    def exec_module(self, module):
        module.__actor_tree_stand_in__ = True
        real = importlib.machinery.PathFinder.find_spec(_NAME)
        if real is not None:  # where the real package is, so that its submodules import as usual
            module.__path__ = list(real.submodule_search_locations or [])
            module.__file__ = real.origin

        def is_valid_syntax(*args, **kwargs):  # the one name jsonschema takes at import
            return _real().is_valid_syntax(*args, **kwargs)

        def every_other_name(name):
            if name.startswith("__") and name != "__all__":  # the import system's probes load nothing
                raise AttributeError(name)
            real = _real()
            if name == "__all__" and not hasattr(real, "__all__"):  # `from rfc3987_syntax import *`
                return [public for public in vars(real) if not public.startswith("_")]
            return getattr(real, name)

        module.is_valid_syntax = is_valid_syntax
        module.__getattr__ = every_other_name


class _Finder(importlib.abc.MetaPathFinder):
    done = False

    def find_spec(self, name, path=None, target=None):
        if name != _NAME or _Finder.done:
            return None
        return importlib.util.spec_from_loader(_NAME, _StandIn())


def _ray_worker() -> bool:
    return bool(sys.argv) and str(sys.argv[0]).endswith("default_worker.py")


if _ray_worker():
    sys.meta_path.insert(0, _Finder())
