"""The students' kit: the wheel a course installs where students work (`grade --student-kit DIR`).

It holds what the released notebook needs (the self-check, the visible checks, the autograder
cells' entry point, the borrowed-session rules) and nothing that answers the assignment: no
solutions notebook, nothing composed from it (no sample class), no nbgrader or grading machinery,
and no code of the hidden checks (their names and points stay: the student's notebook shows them,
and their autograder cells say that the instructor grades them). It also makes the notebook's own
Ray workers start fast in a plain `jupyter lab` (kit_files/actor_tree_kit_workers.py).

The wheel is written here, file by file (a wheel is a zip with a manifest): no build tool and no
network needed where the instructor runs this.
"""

from __future__ import annotations

import ast
import base64
import hashlib
import importlib
import zipfile
from pathlib import Path

from grader import __version__
from grader.checks import CHECK_MODULES, SPEC_ATTRIBUTE
from grader.records import HIDDEN

PACKAGE = Path(__file__).resolve().parent
DISTRIBUTION = "actor_tree_grader_kit"
KIT_MODULES = (
    "__init__.py", "records.py", "notebook.py", "notebook_session.py",
    "checks/__init__.py", "checks/calls.py", "checks/evidence.py", "checks/explain.py", "checks/observe.py",
    "checks/probes.py", "checks/clock.py",
    "checks/supervisor.py", "checks/supervisor_runs.py", "checks/logging_actor.py", "checks/logging_runs.py",
    "session/__init__.py", "session/context.py", "session/integrity.py", "session/plugin.py",
    "session/ray_calls.py", "session/shape.py",
    "report/__init__.py", "report/terminal.py",
    "runtime/__init__.py", "runtime/cluster.py", "runtime/owned.py",
)
"""grader's modules that `from grader.notebook import self_check, autograde_check` needs."""
TOP_LEVEL = {
    "actor_tree_kit_workers.py": (PACKAGE / "kit_files" / "actor_tree_kit_workers.py").read_text,
    "actor_tree_kit.pth": lambda: "import actor_tree_kit_workers\n",
}
"""Files at the top of site-packages: the start-up hook that keeps Ray workers fast."""
REQUIRES = ("ray==2.60.*", "pytest>=8", "pytest-timeout>=2.3", "psutil>=5.9")


def build(target: Path) -> Path:
    """Write the kit's wheel into `target`; its path."""
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    files = {f"grader/{name}": _kit_source(name) for name in KIT_MODULES}
    files.update({name: make() for name, make in TOP_LEVEL.items()})
    wheel = target / f"{DISTRIBUTION}-{__version__}-py3-none-any.whl"
    dist_info = f"{DISTRIBUTION}-{__version__}.dist-info"
    files[f"{dist_info}/METADATA"] = _metadata()
    files[f"{dist_info}/WHEEL"] = ("Wheel-Version: 1.0\nGenerator: grader.student_kit\nRoot-Is-Purelib: true\n"
                                   "Tag: py3-none-any\n")
    record = [f"{name},{_hash(text)},{len(text.encode())}" for name, text in files.items()]
    files[f"{dist_info}/RECORD"] = "\n".join([*record, f"{dist_info}/RECORD,,"]) + "\n"
    with zipfile.ZipFile(wheel, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return wheel


def _kit_source(name: str) -> str:
    source = (PACKAGE / name).read_text()
    module = "grader." + name.removesuffix(".py").replace("/", ".")
    if module in CHECK_MODULES:
        source = without_hidden_checks(source, importlib.import_module(module))
    return source


def without_hidden_checks(source: str, module) -> str:
    """The check module's source with each hidden check's function replaced by its name and points."""
    lines = source.splitlines()
    for node in sorted(ast.parse(source).body, key=lambda n: n.lineno, reverse=True):
        if not isinstance(node, ast.FunctionDef):
            continue
        spec = getattr(getattr(module, node.name, None), SPEC_ATTRIBUTE, None)
        if spec is None or spec.visibility != HIDDEN:
            continue
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
        lines[first:node.end_lineno] = [
            "# A hidden check: your instructor grades it. The students' kit holds its name and points only.",
            "from grader.checks import instructor_only  # noqa: E402",
            "",
            f"{node.name.upper()} = instructor_only({spec.id!r}, {spec.name!r}, points={spec.points!r}, "
            f"timeout={spec.timeout!r})",
        ]
    return "\n".join(lines) + "\n"


def _metadata() -> str:
    lines = ["Metadata-Version: 2.1", f"Name: {DISTRIBUTION.replace('_', '-')}", f"Version: {__version__}",
             "Summary: The students' kit of the Ray actor-tree assignment: the notebook's self-check and "
             "autograder cells, without the reference solutions or the hidden checks",
             "Requires-Python: >=3.10", *(f"Requires-Dist: {r}" for r in REQUIRES)]
    return "\n".join(lines) + "\n"


def _hash(text: str) -> str:
    digest = hashlib.sha256(text.encode()).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
