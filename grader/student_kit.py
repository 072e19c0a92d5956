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
import json
import zipfile
from pathlib import Path

from grader import __version__
from grader.assignment import RECORD, RELEASES, Assignment, installed
from grader.checks import SPEC_ATTRIBUTE, rubric_modules
from grader.records import HIDDEN

PACKAGE = Path(__file__).resolve().parent
DISTRIBUTION = "actor_tree_grader_kit"
KIT_ROOT = "grader.notebook"
"""What the released notebook imports (its self-check and autograder cells); the rubrics of the
installed assignments come with it."""
TOP_LEVEL = {
    "actor_tree_kit_workers.py": (PACKAGE / "kit_files" / "actor_tree_kit_workers.py").read_text,
    "actor_tree_kit.pth": lambda: "import actor_tree_kit_workers\n",
}
"""Files at the top of site-packages: the start-up hook that keeps Ray workers fast."""
REQUIRES = ("ray==2.60.*", "pytest>=8", "pytest-timeout>=2.3", "psutil>=5.9")


def build(target: Path, assignments: list[Assignment] | None = None) -> Path:
    """Write the kit's wheel for `assignments` (default: every one installed) into `target`; its path."""
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    assignments = assignments or installed()
    files = {f"grader/{name}": _kit_source(name, assignments) for name in kit_files(assignments)}
    files.update({name: make() for name, make in TOP_LEVEL.items()})
    for assignment in assignments:  # each one's record and rubric beside its release notebook (grader.assignment)
        folder = f"grader/data/{RELEASES}/{assignment.name}"
        files[f"{folder}/{RECORD}"] = json.dumps({"title": assignment.title, "rubric": list(assignment.rubric),
                                                  "contract": [e.to_json() for e in assignment.contract]}, indent=1)
        files[f"{folder}/{assignment.notebook}"] = assignment.release.read_text()
        for module in rubric_modules(assignment):
            if Path(module.__file__).parent == assignment.folder:  # a rubric written beside its notebook
                files[f"{folder}/{Path(module.__file__).name}"] = without_hidden_checks(
                    Path(module.__file__).read_text(), module)
    wheel = target / f"{DISTRIBUTION}-{__version__}-py3-none-any.whl"
    dist_info = f"{DISTRIBUTION}-{__version__}.dist-info"
    files[f"{dist_info}/METADATA"] = _metadata(assignments)
    files[f"{dist_info}/WHEEL"] = ("Wheel-Version: 1.0\nGenerator: grader.student_kit\nRoot-Is-Purelib: true\n"
                                   "Tag: py3-none-any\n")
    record = [f"{name},{_hash(text)},{len(text.encode())}" for name, text in files.items()]
    files[f"{dist_info}/RECORD"] = "\n".join([*record, f"{dist_info}/RECORD,,"]) + "\n"
    with zipfile.ZipFile(wheel, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return wheel


def kit_files(assignments: list[Assignment] | None = None) -> list[str]:
    """grader's files the kit holds, relative to the package: every module that KIT_ROOT and the
    rubrics reach through their module-level imports (read from the source, nothing imported).
    What the instructor's paths import inside a function (grading, nbgrader, the sandbox) stays out."""
    found: dict[str, Path] = {}
    waiting = [KIT_ROOT, *_imports_of_rubrics(assignments or installed())]
    while waiting:
        module = waiting.pop()
        path = _module_file(module)
        if module in found or path is None:
            continue
        found[module] = path
        waiting.extend(_imported_at_module_level(path))
    return sorted(path.relative_to(PACKAGE).as_posix() for path in found.values())


def _module_file(module: str) -> Path | None:
    """The grader module's source file, or None for what is not grader's."""
    top, *parts = module.split(".")
    if top != "grader":
        return None
    package = PACKAGE.joinpath(*parts, "__init__.py")
    if package.is_file():
        return package
    module = PACKAGE.joinpath(*parts).with_suffix(".py") if parts else None
    return module if module is not None and module.is_file() else None


def _imported_at_module_level(path: Path) -> list[str]:
    """Modules the file imports outside any function or class, with the packages above them
    (importing grader.checks.calls runs grader/checks/__init__.py first)."""
    names = []
    statements = list(ast.parse(path.read_text()).body)
    while statements:
        node = statements.pop()
        if isinstance(node, (ast.If, ast.Try)):
            statements += [*node.body, *node.orelse, *getattr(node, "finalbody", []),
                           *(s for handler in getattr(node, "handlers", []) for s in handler.body)]
        elif isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names += [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
    return [".".join(name.split(".")[:depth]) for name in names for depth in range(1, name.count(".") + 2)]


def _imports_of_rubrics(assignments: list[Assignment]) -> list[str]:
    """The rubrics' modules, and what a rubric written beside its notebook imports at module level."""
    found = []
    for assignment in assignments:
        for module in rubric_modules(assignment):
            found.append(module.__name__)
            if Path(module.__file__).parent == assignment.folder:
                found.extend(_imported_at_module_level(Path(module.__file__)))
    return list(dict.fromkeys(found))


def _kit_source(name: str, assignments: list[Assignment]) -> str:
    source = (PACKAGE / name).read_text()
    module = "grader." + name.removesuffix(".py").replace("/", ".")
    if module in {m.__name__ for assignment in assignments for m in rubric_modules(assignment)}:
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
    return _without_unused_helpers("\n".join(lines) + "\n")


def _without_unused_helpers(source: str) -> str:
    """Less the module's private helpers (_name) and fixtures that nothing left uses: those only a
    hidden check used would tell how it judges."""
    while True:
        tree = ast.parse(source)
        used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
        used |= {node.arg for node in ast.walk(tree) if isinstance(node, ast.arg)}
        used |= {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
        unused = [node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                  and (node.name.startswith("_") or _is_fixture(node)) and node.name not in used]
        if not unused:
            return source
        lines = source.splitlines()
        for node in sorted(unused, key=lambda n: n.lineno, reverse=True):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
            del lines[first:node.end_lineno]
        source = "\n".join(lines) + "\n"


def _is_fixture(node) -> bool:
    return any("fixture" in ast.unparse(decorator) for decorator in node.decorator_list)


def _metadata(assignments: list[Assignment]) -> str:
    titles = ", ".join(assignment.title for assignment in assignments)
    lines = ["Metadata-Version: 2.1", f"Name: {DISTRIBUTION.replace('_', '-')}", f"Version: {__version__}",
             f"Summary: The students' kit of {titles}: the notebook's self-check and autograder cells, without the "
             "reference solutions or the hidden checks",
             "Requires-Python: >=3.10", *(f"Requires-Dist: {r}" for r in REQUIRES)]
    return "\n".join(lines) + "\n"


def _hash(text: str) -> str:
    digest = hashlib.sha256(text.encode()).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
