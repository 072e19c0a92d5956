"""`grade`: a thin shell over grader.grading.grade. Exit 0 when grading ran, 2 on usage errors."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from grader.runtime.limits import Limits

EPILOG = """examples:
  grade --demo                              grade the bundled sample class
  grade submitted/alice/actor_tree          one nbgrader submission folder
  grade submitted/ --jobs 2 --csv grades.csv --results results/
  grade my_work.ipynb --json                the contract's JSON report on stdout
  grade --self-check my_work.ipynb          a student's check: the visible checks only
  grade --lab                               JupyterLab, with fast Ray workers for the notebook

nbgrader course:
  grade --new-course COURSE                 nbgrader_config.py + source/actor_tree/ in COURSE
  cd COURSE && nbgrader generate_assignment actor_tree && nbgrader release_assignment actor_tree
  ... students fetch and submit; nbgrader collect actor_tree ...
  grade --nbgrader actor_tree --jobs 2      grade all collected submissions into the gradebook,
                                            autograded/ and feedback/ (--student ID for one)
"""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="grade", description="Grade Ray actor-tree submissions on a real local Ray "
                                "runtime (one fresh, private Ray cluster per submission).",
                                epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("paths", nargs="*", metavar="SUBMISSION",
                   help="a notebook, a .py file, a submission folder, or a class folder of student folders")
    p.add_argument("--demo", action="store_true", help="grade the bundled sample class (reference, stub, mistakes)")
    p.add_argument("--json", action="store_true", help="print the JSON report on stdout (nothing else)")
    p.add_argument("--csv", metavar="FILE", help="write one CSV row per student (- for stdout)")
    p.add_argument("--results", metavar="DIR", help="save each report there; a rerun skips unchanged submissions")
    p.add_argument("--jobs", type=int, default=1, metavar="N", help="submissions graded at once (default 1)")
    p.add_argument("--timeout", type=float, default=900.0, metavar="S",
                   help="wall-clock limit per submission in seconds (default 900)")
    p.add_argument("--memory", type=int, default=Limits.memory_mb, metavar="MB",
                   help=f"memory limit per submission, all its processes together (default {Limits.memory_mb})")
    p.add_argument("--processes", type=int, default=Limits.tasks, metavar="N",
                   help=f"limit on processes and threads per submission (default {Limits.tasks})")
    p.add_argument("--only", action="append", default=[], metavar="CHECK_ID", help="run only this check (repeatable)")
    p.add_argument("--student-view", action="store_true",
                   help="hide the feedback of hidden checks (terminal and JSON), as students should see it")
    p.add_argument("--self-check", metavar="NOTEBOOK",
                   help="run the visible checks on one notebook or .py, as a student sees them")
    p.add_argument("--lab", nargs=argparse.REMAINDER, metavar="ARG",
                   help="start JupyterLab (with the given jupyter-lab arguments) so that the notebook's Ray "
                        "workers start fast: use it instead of `jupyter lab`")
    course = p.add_argument_group("nbgrader course")
    course.add_argument("--new-course", metavar="DIR", help="set up an nbgrader course folder for this assignment")
    course.add_argument("--exchange", metavar="DIR", help="with --new-course: nbgrader exchange root "
                        "(default DIR/exchange)")
    course.add_argument("--course-id", default="actor-tree", help="with --new-course (default actor-tree)")
    course.add_argument("--nbgrader", metavar="ASSIGNMENT",
                        help="grade the collected submissions of ASSIGNMENT; run from the course folder")
    course.add_argument("--student", metavar="ID", help="with --nbgrader: this student only")
    return p


def main(argv=None) -> int:
    from grader.runtime import use_fast_imports

    use_fast_imports()
    args = parser().parse_args(argv)
    if args.jobs < 1 or args.timeout <= 0 or args.memory < 512 or args.processes < 200:
        parser().error("--jobs and --timeout must be positive, --memory at least 512 (MB), "
                       "--processes at least 200 (Ray alone needs about that many)")
    if args.lab is not None:
        return _lab(args.lab)
    modes = [m for m in ("demo", "self_check", "new_course", "nbgrader") if getattr(args, m)]
    if len(modes) > 1 or (modes and modes != ["demo"] and args.paths):
        parser().error("use one of SUBMISSION..., --demo, --self-check, --new-course, --nbgrader at a time")
    if args.new_course:
        return _new_course(args)
    if args.nbgrader:
        return _nbgrader(args)
    if args.self_check:
        args.paths, args.student_view = [args.self_check], True
        args.only = [s.id for s in _specs() if s.visibility == "visible"]
    if not args.paths and not args.demo:
        parser().error("give a SUBMISSION path, or --demo")

    from grader.checks import all_specs
    from grader.discovery import UsageError, is_single_submission
    from grader.grading import grade
    from grader.report import tables, terminal

    unknown = set(args.only) - {s.id for s in all_specs()}
    if unknown:
        parser().error(f"unknown check id(s): {', '.join(sorted(unknown))}")
    paths = list(args.paths)
    demo_dir = None
    if args.demo:
        from grader.demo import build_class

        demo_dir = tempfile.TemporaryDirectory(prefix="grade-demo-")
        paths.append(str(build_class(Path(demo_dir.name) / "sample-class")))
        if not args.paths and args.jobs == 1:
            args.jobs = 2

    try:
        reports = grade(paths, jobs=args.jobs, wall_seconds=args.timeout, results_dir=args.results,
                        only=args.only, progress=progress, limits=_limits(args))
    except UsageError as error:
        parser().error(str(error))
    finally:
        if demo_dir is not None:
            demo_dir.cleanup()

    single = len(args.paths) == 1 and not args.demo and is_single_submission(args.paths[0])
    if args.json:
        print(tables.to_json(reports, single=single, student_view=args.student_view))
    else:
        for report in reports:
            print(terminal.render(report, student_view=args.student_view))
            print()
        if len(reports) > 1:
            print(terminal.render_summary(reports))
    if args.csv:
        text = tables.to_csv(reports)
        if args.csv == "-":
            sys.stdout.write(text)
        else:
            Path(args.csv).write_text(text)
            print(f"wrote {args.csv}", file=sys.stderr)
    return 0


def progress(done, total, report) -> None:
    """One line per graded submission, on stderr (stdout may be the JSON report)."""
    print(f"[{done}/{total}] {report.student}: {report.score:g}/{report.max_score:g} "
          f"({report.seconds:.0f} s)", file=sys.stderr, flush=True)


def _limits(args) -> Limits:
    return Limits(memory_mb=args.memory, tasks=args.processes)


def _specs():
    from grader.checks import all_specs

    return all_specs()


def _lab(lab_args: list[str]) -> int:
    """JupyterLab whose kernels (and so their Ray workers) skip an unused 2.4 s import: a
    notebook's self-check takes about 30 s instead of 80 s on a 2-core machine."""
    import os

    from grader.runtime import with_fast_imports

    env = with_fast_imports(dict(os.environ))
    command = [sys.executable, "-m", "jupyterlab", *lab_args]
    os.execve(sys.executable, command, env)
    return 0


def _new_course(args) -> int:
    from grader.course import CourseError, new_course

    try:
        config, source, exchange = new_course(Path(args.new_course), exchange=args.exchange,
                                              course_id=args.course_id)
    except CourseError as error:
        parser().error(str(error))
    root = config.parent
    print(f"course {args.course_id!r} in {root}\n  {config}\n  {source}\n  exchange: {exchange}\n\n"
          f"next:\n  cd {root}\n  nbgrader generate_assignment actor_tree\n  nbgrader release_assignment actor_tree\n"
          "  (students: nbgrader fetch_assignment / submit, with the same course id and exchange)\n"
          "  nbgrader collect actor_tree\n  grade --nbgrader actor_tree --jobs 2\n"
          "  nbgrader export; nbgrader release_feedback actor_tree")
    return 0


def _nbgrader(args) -> int:
    from grader.course import CourseError, grade_course
    from grader.report import terminal

    try:
        reports = grade_course(Path.cwd(), args.nbgrader, student=args.student, jobs=args.jobs,
                               wall_seconds=args.timeout, progress=progress, limits=_limits(args))
    except CourseError as error:
        parser().error(str(error))
    print(terminal.render_summary(reports))
    print(f"\nrecorded in {Path.cwd() / 'gradebook.db'} (nbgrader export), autograded/ and feedback/ "
          f"(nbgrader release_feedback {args.nbgrader})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
