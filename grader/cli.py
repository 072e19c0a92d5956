"""`grade`: a thin shell over grader.grading.grade. Exit 0 when grading ran, 2 on usage errors."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

EPILOG = """examples:
  grade --demo                              grade the bundled sample class
  grade submitted/alice/actor_tree          one nbgrader submission folder
  grade submitted/ --jobs 2 --csv grades.csv --results results/
  grade my_work.ipynb --json                the contract's JSON report on stdout
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
    p.add_argument("--only", action="append", default=[], metavar="CHECK_ID", help="run only this check (repeatable)")
    p.add_argument("--student-view", action="store_true",
                   help="hide the feedback of hidden checks (terminal and JSON), as students should see it")
    return p


def main(argv=None) -> int:
    from grader.runtime import use_fast_imports

    use_fast_imports()
    args = parser().parse_args(argv)
    if args.jobs < 1 or args.timeout <= 0:
        parser().error("--jobs and --timeout must be positive")
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

    def progress(done, total, report):
        print(f"[{done}/{total}] {report.student}: {report.score:g}/{report.max_score:g} "
              f"({report.seconds:.0f} s)", file=sys.stderr, flush=True)

    try:
        reports = grade(paths, jobs=args.jobs, wall_seconds=args.timeout, results_dir=args.results,
                        only=args.only, progress=progress)
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


if __name__ == "__main__":
    sys.exit(main())
