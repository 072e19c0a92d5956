"""Find the submissions behind the paths a user gave: a notebook or .py file, a folder holding
one (nbgrader's submitted/<student>/<assignment>/), or a class folder of such folders.

Who a submission is: in a class folder, the student folder; a folder given alone, the folder (its
parent when it is an assignment's folder, as in nbgrader's submitted/<student>/<assignment>); one
file given alone, its name without the suffix (`grade solutions/actor_tree/actor_tree.ipynb` is
"actor_tree", not "solutions"), unless it is in nbgrader's layout
(submitted/<student>/<assignment>/<file>), where it is the student folder; files given side by
side (`grade alice/actor_tree.ipynb bob/actor_tree.ipynb`), by their folders, which tell them apart.
"""

from __future__ import annotations

from pathlib import Path

from grader.assignment import AssignmentError, installed
from grader.records import Submission

SUFFIXES = (".ipynb", ".py")
NBGRADER_STUDENT_FOLDERS = ("submitted", "autograded")
"""nbgrader's folders of student folders: <course>/submitted/<student>/<assignment>/."""


class UsageError(ValueError):
    """A path that does not exist or cannot hold a submission: the command exits 2."""


def discover(paths) -> list[Submission]:
    paths = list(paths)
    names = assignment_names()
    found: list[Submission] = []
    for given in paths:
        path = Path(given)
        if not path.exists():
            raise UsageError(f"{given}: no such file or folder")
        if path.is_file():
            if path.suffix not in SUFFIXES:
                raise UsageError(f"{given}: not a notebook (.ipynb) or Python file (.py)")
            found.append(Submission(str(path), _student_of_file(path, names, alone=len(paths) == 1), str(given)))
        elif _gradable_files(path):
            found.append(_from_folder(path, _student_of_folder(path, names), str(given), names))
        else:
            found.extend(_class(path, str(given), names))
    return _unique_students(found)


def is_single_submission(path) -> bool:
    """A file, or a folder holding the files of one submission (not a class of student folders)."""
    path = Path(path)
    return path.is_file() or (path.is_dir() and bool(_gradable_files(path)))


def _visible(path: Path) -> bool:
    return not path.name.startswith((".", "__"))


def _gradable_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in SUFFIXES and _visible(p))


def assignment_names() -> frozenset[str]:
    """The installed assignments' names: nbgrader's assignment folders, and the notebook (<name>.ipynb)
    preferred in a folder of several files."""
    try:
        return frozenset(assignment.name for assignment in installed())
    except AssignmentError as error:
        raise UsageError(str(error)) from None


def _student_of_file(path: Path, names: frozenset[str], *, alone: bool) -> str:
    folder = path.resolve().parent
    if folder.name in names and folder.parent.parent.name in NBGRADER_STUDENT_FOLDERS:
        return folder.parent.name
    if alone or path.stem not in names:
        return path.stem
    return _student_of_folder(path.parent, names)


def _student_of_folder(folder: Path, names: frozenset[str]) -> str:
    folder = folder.resolve()
    return folder.parent.name if folder.name in names else folder.name


def submission_folder(folder: Path, student: str) -> Submission:
    """The submission of `student` in `folder` (e.g. nbgrader's submitted/<student>/<assignment>/);
    a folder with no usable file gives a Submission with its problem set."""
    if not folder.is_dir():
        return Submission(str(folder), student, str(folder), problem=f"{folder} is missing.")
    return _from_folder(folder, student, str(folder), assignment_names())


def _from_folder(folder: Path, student: str, shown: str, names: frozenset[str]) -> Submission:
    files = _gradable_files(folder)
    notebooks = [p for p in files if p.suffix == ".ipynb"]
    scripts = [p for p in files if p.suffix == ".py"]
    preferred = [p for p in notebooks if p.stem in names]
    for choice in (preferred, notebooks, scripts):
        if len(choice) == 1:
            return Submission(str(choice[0]), student, str(Path(shown) / choice[0].name))
        if len(choice) > 1:
            candidates = ", ".join(p.name for p in choice)
            to = " or ".join(sorted(f"{name}.ipynb" for name in names)) or "the assignment's notebook name"
            return Submission(str(folder), student, shown, problem=(
                f"{folder} holds several candidates ({candidates}); rename the one to grade to {to} "
                "(or remove the others) and grade again."))
    return Submission(str(folder), student, shown, problem=f"{folder} holds no notebook (.ipynb) or .py file.")


def _class(folder: Path, shown: str, names: frozenset[str]) -> list[Submission]:
    """Each sub-folder is a student: their files directly, or in an assignment sub-folder."""
    found = []
    for student_folder in sorted(p for p in folder.iterdir() if p.is_dir() and _visible(p)):
        student_shown = str(Path(shown) / student_folder.name)
        if _gradable_files(student_folder):
            found.append(_from_folder(student_folder, _student_of_folder(student_folder, names), student_shown, names))
            continue
        inner = sorted(p for p in student_folder.iterdir() if p.is_dir() and _visible(p))
        with_files = [p for p in inner if _gradable_files(p)]
        preferred = [p for p in with_files if p.name in names] or with_files
        if len(preferred) == 1:
            found.append(_from_folder(preferred[0], student_folder.name,
                                      str(Path(student_shown) / preferred[0].name), names))
        else:
            why = ("holds no notebook or .py file" if not preferred else
                   f"holds several assignment folders ({', '.join(p.name for p in preferred)})")
            found.append(Submission(str(student_folder), student_folder.name, student_shown,
                                    problem=f"{student_folder} {why}."))
    if not found:
        raise UsageError(f"{shown}: no submissions found (no .ipynb or .py file, and no student folders)")
    return found


def _unique_students(found: list[Submission]) -> list[Submission]:
    seen: dict[str, int] = {}
    unique = []
    for submission in found:
        count = seen.get(submission.student, 0)
        seen[submission.student] = count + 1
        if count:
            submission = Submission(submission.path, f"{submission.student}-{count + 1}", submission.shown_as,
                                    submission.problem)
        unique.append(submission)
    return unique
