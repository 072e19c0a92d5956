"""`grade`: a thin shell over grader.grading.grade. Exit 0 when grading ran, 1 when the grader
failed on a submission (it is then not graded), 2 on usage errors."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from pathlib import Path

from grader.report import canvas, tables, terminal
from grader.report.progress import Progress
from grader.runtime import use_startup_path, with_startup_path
from grader.runtime.limits import Limits, auto_jobs, in_force
from grader.runtime.sandbox import at_once, protection

EPILOG = """examples, by mode:
  grade my_work.ipynb                       one notebook (or .py, or nbgrader submission folder)
  grade submitted/ --jobs 2 --csv grades.csv --results results/
                                            a class folder: one folder per student
  grade my_work.ipynb --json                the contract's JSON report on stdout
  grade submitted/ --report class.html --feedback feedback/
                                            the class at a glance, and a feedback page per student
  grade --demo                              the bundled sample class (reference, stub, mistakes)
  grade --self-check my_work.ipynb          a student's check: the visible checks only
  grade --lab                               JupyterLab, with fast Ray workers for the notebook
  grade --student-kit kit/                  the wheel for the students' environment (prints the pip command)
  grade --gradescope-autograder ag.zip      the zip to upload as a Gradescope programming assignment's autograder
  grade --new-course COURSE                 nbgrader_config.py + source/actor_tree/ in COURSE
  grade --nbgrader actor_tree --jobs 2      from COURSE, after `nbgrader collect actor_tree`:
                                            gradebook, autograded/ and feedback/ (--student ID for one)
  grade submitted/ --assignment ./pool/     as the assignment in that folder (one being written: see the
                                            README's "Writing an assignment"); an installed one by its name
  grade submitted/ --cluster 10.0.0.5:6379 --results results/
                                            on an existing Ray cluster: one task per submission (also
                                            with --nbgrader); every node needs the same grader installed

the nbgrader cycle:
  grade --new-course COURSE && cd COURSE
  nbgrader generate_assignment actor_tree && nbgrader release_assignment actor_tree
  ... students fetch and submit; nbgrader collect actor_tree ...
  grade --nbgrader actor_tree --jobs 2 && nbgrader export && nbgrader release_feedback actor_tree

environment:
  ACTOR_TREE_SANDBOX=off          no bubblewrap sandbox per submission (Ray token authentication only);
                                  the header of every run says what is in force and why
  GRADER_RAY_START_TIMEOUT=S      seconds a submission's Ray head may take to start (default 90)

exit status: 0 when every submission was graded (whatever the scores), 1 when the grader itself
failed on one (it is then not graded, and nothing is written for it), 2 on usage errors.
"""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="grade", description="Grade Ray actor-tree submissions on a real local Ray "
                                "runtime (one fresh, private Ray cluster per submission). On this machine: "
                                f"{protection()[1]}.",
                                epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("paths", nargs="*", metavar="SUBMISSION",
                   help="a notebook, a .py file, a submission folder, or a class folder of student folders")
    grading = p.add_argument_group("grading (instructors)")
    grading.add_argument("--demo", action="store_true",
                         help="grade the bundled sample class (reference, stub, mistakes)")
    grading.add_argument("--jobs", type=_jobs, default="auto", metavar="N|auto",
                         help="submissions graded at once (default auto: from the cores and the memory, "
                              "shown when grading starts)")
    grading.add_argument("--results", metavar="DIR",
                         help="save each report there; a rerun skips unchanged submissions")
    grading.add_argument("--only", action="append", default=[], metavar="CHECK_ID",
                         help="run only this check (repeatable)")
    grading.add_argument("--assignment", metavar="NAME|DIR",
                         help="grade as this assignment: an installed one's name, or the source folder (a path, "
                              "with a /) of one being written (default: the only one installed; with --nbgrader, "
                              "the one it names)")
    reports = p.add_argument_group("reports")
    reports.add_argument("--json", action="store_true", help="print the JSON report on stdout (nothing else)")
    reports.add_argument("--csv", metavar="FILE", help="write one CSV row per student (- for stdout)")
    reports.add_argument("--student-view", action="store_true",
                         help="hide the feedback of hidden checks (terminal and JSON), as students should see it")
    reports.add_argument("--report", metavar="FILE.html",
                         help="a class at a glance: score histogram, pass rate per check, why checks were missed, "
                              "copied work, every student (one offline HTML file)")
    reports.add_argument("--feedback", metavar="DIR", help="one HTML feedback page per student in DIR (hidden "
                         "checks: points only)")
    reports.add_argument("--similarity-threshold", type=float, default=None, metavar="X",
                         help="list pairs of submissions whose own code is at least this alike, 0-1 (default 0.6)")
    limits = p.add_argument_group("limits per submission")
    limits.add_argument("--timeout", type=float, default=900.0, metavar="S",
                        help="wall-clock limit per submission in seconds (default 900)")
    limits.add_argument("--memory", type=int, default=Limits.memory_mb, metavar="MB",
                        help=f"memory limit, all its processes together (default {Limits.memory_mb})")
    limits.add_argument("--processes", type=int, default=Limits.tasks, metavar="N",
                        help=f"limit on processes and threads (default {Limits.tasks})")
    students = p.add_argument_group("students")
    students.add_argument("--self-check", metavar="NOTEBOOK",
                          help="run the visible checks on one notebook or .py, as a student sees them")
    students.add_argument("--student-kit", metavar="DIR",
                          help="write into DIR the wheel students install: the notebook's self-check and "
                               "autograder cells, no reference solution, no hidden check")
    students.add_argument("--lab", nargs=argparse.REMAINDER, metavar="ARG",
                          help="start JupyterLab (with the given jupyter-lab arguments) so that the notebook's Ray "
                               "workers start fast: use it instead of `jupyter lab`")
    lms = p.add_argument_group("Gradescope and LMS")
    lms.add_argument("--gradescope-autograder", metavar="OUT.zip",
                     help="write a Gradescope autograder zip (setup.sh, run_autograder, this grader)")
    lms.add_argument("--lms", choices=("canvas",), help="with SUBMISSION...: write a gradebook import file")
    lms.add_argument("--roster", metavar="ROSTER.csv", help="with --lms canvas: Canvas's gradebook export")
    lms.add_argument("--out", metavar="GRADES.csv", help="with --lms: the import file to write")
    course = p.add_argument_group("nbgrader course")
    course.add_argument("--new-course", metavar="DIR", help="set up an nbgrader course folder for this assignment")
    course.add_argument("--exchange", metavar="DIR", help="with --new-course: nbgrader exchange root "
                        "(default DIR/exchange)")
    course.add_argument("--course-id", help="with --new-course (default: the assignment's name, as actor-tree)")
    course.add_argument("--nbgrader", metavar="ASSIGNMENT",
                        help="grade the collected submissions of ASSIGNMENT; run from the course folder")
    course.add_argument("--student", metavar="ID", help="with --nbgrader: this student only")
    cluster = p.add_argument_group("Ray cluster (instructors, a class too big for one machine)")
    cluster.add_argument("--cluster", metavar="ADDRESS",
                         help="grade on the Ray cluster whose head is at HOST:PORT (with SUBMISSION... or "
                              "--nbgrader); each submission is one task, graded there as here; --jobs is ignored")
    cluster.add_argument("--cluster-cpus", type=int, default=2, metavar="N",
                         help="CPUs each submission's task asks of the cluster (default 2; its memory is --memory)")
    return p


MODES = ("demo", "self_check", "new_course", "nbgrader", "student_kit", "gradescope_autograder")
CLUSTER_IN_FLIGHT = 1000


def main(argv=None) -> int:
    """Check the arguments, then hand over to the one function of the mode asked for."""
    use_startup_path()
    args = parser().parse_args(argv)
    if args.timeout <= 0 or args.memory < 512 or args.processes < 200:
        parser().error("--timeout must be positive, --memory at least 512 (MB), "
                       "--processes at least 200 (Ray alone needs about that many)")
    if args.jobs == "auto":
        args.jobs, why = auto_jobs(_limits(args))
        args.jobs_shown = f"--jobs auto: {args.jobs} at a time ({why})"
    else:
        args.jobs_shown = f"--jobs {args.jobs}"
    if args.lab is not None:
        return _lab(args.lab)
    modes = [m for m in MODES if getattr(args, m)]
    if len(modes) > 1 or (modes and modes != ["demo"] and args.paths):
        parser().error("use one of SUBMISSION..., --demo, --self-check, --new-course, --nbgrader, --student-kit, "
                       "--gradescope-autograder at a time")
    _check_outputs(args, modes)
    args.graded_as = _graded_as(args)
    if args.new_course:
        return _new_course(args)
    if args.student_kit:
        return _student_kit(args)
    if args.gradescope_autograder:
        return _gradescope_autograder(args)
    if args.nbgrader:
        return _nbgrader(args)
    if args.self_check:
        return _self_check(args)
    if args.demo:
        return _demo(args)
    if not args.paths:
        parser().error("give a SUBMISSION path, or --demo")
    return _grade_paths(args, args.paths)


def _check_outputs(args, modes: list[str]) -> None:
    """Options that write files after grading: wrong together, or unwritable, is said before grading."""
    if args.lms and (modes or not args.paths):
        parser().error("--lms canvas goes with SUBMISSION... (a class graded by path)")
    if args.lms and not (args.roster and args.out):
        parser().error("--lms canvas needs --roster ROSTER.csv (Canvas's gradebook export) and --out GRADES.csv")
    if (args.roster or args.out) and not args.lms:
        parser().error("--roster and --out go with --lms canvas")
    if (args.report or args.feedback) and modes and modes not in (["demo"], ["nbgrader"]):
        parser().error("--report and --feedback go with a class: SUBMISSION..., --demo or --nbgrader")
    for option, path in (("--report", args.report), ("--out", args.out)):
        if path and not os.access(Path(path).resolve().parent, os.W_OK):
            parser().error(f"{option} {path}: its folder does not exist or cannot be written")
    if args.similarity_threshold is not None and not 0 <= args.similarity_threshold <= 1:
        parser().error("--similarity-threshold is a share of the code: between 0 and 1")
    if args.cluster and (modes not in ([], ["nbgrader"]) or not (args.paths or args.nbgrader)):
        parser().error("--cluster goes with SUBMISSION... or --nbgrader (a class graded on a Ray cluster)")
    if args.cluster_cpus < 1:
        parser().error("--cluster-cpus: at least 1")


# Each mode imports what it needs when it runs: `grade --help` and usage errors must not pay for
# importing Ray, pytest and nbgrader (several seconds).

def _graded_as(args):
    """The assignment this run is about (grader.assignment): named; or told by --nbgrader; none for
    --new-course and --student-kit (they take every one installed); the first installed for --demo;
    else the one the submissions tell (of_submissions: the only one installed, or by their files)."""
    from grader.assignment import AssignmentError, find, for_course, installed, of_submissions

    try:
        if args.assignment:
            assignment = find(args.assignment)
        elif args.nbgrader:
            assignment = for_course(args.nbgrader)
        elif args.new_course or args.student_kit:
            return None  # every one installed
        elif args.gradescope_autograder:
            assignment = of_submissions([])  # the only one installed: a Gradescope assignment is one notebook
        elif args.demo and installed():
            assignment = installed()[0]  # the first one's sample class; --assignment NAME for another's
        elif not args.paths and not args.self_check:
            return None  # nothing to grade: main() says so
        else:
            assignment = _told_by_paths(args, args.paths or [args.self_check])
    except AssignmentError as error:
        parser().error(f"{error}{'' if args.assignment else ' Name it with --assignment NAME.'}")
    if args.cluster and assignment not in installed():
        parser().error(f"--cluster grades with the assignments installed on the cluster's nodes; {args.assignment} "
                       "is a folder of this machine: install it with the grader (solutions/<name>/, pip install .)")
    return assignment


def _told_by_paths(args, paths: list[str]):
    """The assignment the submissions given are of: unknown --only ids and what is wrong with the
    paths are said first; --only ids that are one assignment's tell it."""
    from grader.assignment import installed, of_submissions
    from grader.checks import all_specs
    from grader.discovery import UsageError, discover

    owners = [a for a in installed() if set(args.only) <= {s.id for s in all_specs(a)}] if args.only else []
    if args.only and not owners:
        unknown = set(args.only) - {s.id for a in installed() for s in all_specs(a)}
        parser().error(f"unknown check id(s): {', '.join(sorted(unknown))}" if unknown else
                       f"--only {' '.join(args.only)}: the checks of one assignment at a time")
    try:
        discover(paths)
    except UsageError as error:
        parser().error(str(error))
    if args.only and len(owners) == 1 and len(installed()) > 1:
        return owners[0]
    return of_submissions(paths)


def _announce(args) -> None:
    """The run's header on stderr: how many at once, and which protection each submission gets."""
    if args.cluster:
        print(f"grading on the Ray cluster at {args.cluster}, {args.cluster_cpus} CPUs a submission",
              file=sys.stderr)
    else:
        fewer = at_once(args.jobs)[1]
        print(f"grading with {args.jobs_shown}{f' ({fewer})' if fewer else ''}; {in_force(_limits(args))[1]}; "
              f"{protection()[1]}", file=sys.stderr)


def _runner(args) -> tuple:
    """(run_one, jobs): here, or on the cluster given by --cluster (joined and checked node by
    node first, so that a wrong address or a node without the grader stops the run at once)."""
    if not args.cluster:
        return None, args.jobs
    from grader import on_cluster

    try:
        on_cluster.connect(args.cluster)
        for line in on_cluster.check_nodes():
            print(line, file=sys.stderr)
    except on_cluster.ClusterError as error:
        print(f"grade: {error}", file=sys.stderr)
        raise SystemExit(2) from error
    # Ray places the tasks by the resources they ask for: as many in flight as there are submissions.
    return on_cluster.remote_grader(args.cluster_cpus, _limits(args)), CLUSTER_IN_FLIGHT


@contextlib.contextmanager
def _cluster_output(args):
    """On a cluster, Ray's driver prints the cluster's events (a node lost, say) on stdout, where
    the JSON report goes: while grading, they go to stderr, and the driver leaves the cluster
    before any report is printed."""
    if not args.cluster:
        yield
        return
    import ray

    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        with contextlib.redirect_stdout(sys.stderr):
            ray.shutdown()


def _grade_paths(args, paths: list[str]) -> int:
    """grade SUBMISSION...: grade, then print the reports (terminal, JSON, CSV)."""
    from grader.discovery import UsageError, is_single_submission
    from grader.grading import grade

    _check_only(args)
    roster = _roster(args) if args.lms else ""
    _announce(args)
    run_one, jobs = _runner(args)
    try:
        with _cluster_output(args):
            reports = grade(paths, jobs=jobs, wall_seconds=args.timeout, results_dir=args.results,
                            only=args.only, progress=Progress(), limits=_limits(args), run_one=run_one,
                            assignment=args.graded_as)
    except UsageError as error:
        parser().error(str(error))
    single = len(args.paths) == 1 and not args.demo and is_single_submission(args.paths[0])
    similar = _similar_pairs(args, reports) if not single and not args.demo else []  # the sample class is
    # made from the reference on purpose: every pair would be "copied"
    _print_reports(args, reports, single=single, similar=similar)
    _class_outputs(args, reports, similar)
    if args.lms:
        _write_lms(args, reports, roster)
    return _exit_status(reports)


def _exit_status(reports) -> int:
    """0 when every submission was graded; 1, after saying who and why, when the grader failed on any."""
    failed = [report for report in reports if not report.graded]
    if not failed:
        return 0
    print(f"grade: {len(failed)} submission(s) NOT graded, because the grader failed: "
          f"{', '.join(r.student for r in failed)}. Nothing was written for them (gradebook, LMS file, feedback); "
          "the reason is above and in each report's staff log. Fix it and run the same command again: with "
          "--results (or --nbgrader) only they are graded again.", file=sys.stderr)
    return 1


def _roster(args) -> str:
    """The roster's text, checked before anyone is graded."""
    try:
        text = Path(args.roster).read_text(encoding="utf-8-sig")
        canvas.roster_rows(text, args.roster)
    except (OSError, UnicodeDecodeError) as error:
        parser().error(f"--roster {args.roster}: cannot be read ({error}); give Canvas's gradebook export (CSV)")
    except canvas.RosterError as error:
        parser().error(str(error))
    return text


def _write_lms(args, reports, roster: str) -> None:
    text, unmatched = canvas.gradebook(reports, roster, column=args.graded_as.title, roster_name=args.roster)
    try:
        Path(args.out).write_text(text)
    except OSError as error:
        print(f"grade: {args.out}: could not be written ({error.strerror}); the grades above stand", file=sys.stderr)
        return
    print(f"wrote {args.out} (Canvas: Grades > Import)", file=sys.stderr)
    if unmatched:
        print(f"not on the roster, so not in {args.out}: {', '.join(unmatched)}", file=sys.stderr)
    failed = [report.student for report in reports if not report.graded]
    if failed:
        print(f"left empty in {args.out} (not graded: the grader failed; Canvas keeps their grade): "
              f"{', '.join(failed)}", file=sys.stderr)


def _check_only(args) -> None:
    from grader.checks import all_specs

    unknown = set(args.only) - {s.id for s in all_specs(args.graded_as)}
    if unknown:
        parser().error(f"unknown check id(s): {', '.join(sorted(unknown))}")


def _demo(args) -> int:
    """grade --demo: the bundled sample class (and any paths given beside it)."""
    from grader.assignment import installed
    from grader.demo import build_class

    others = [a.name for a in installed() if a != args.graded_as]
    if others and not args.assignment:
        print(f"the sample class of {args.graded_as.title}; another's: grade --demo --assignment "
              f"{' | '.join(others)}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="grade-demo-") as folder:
        return _grade_paths(args, [*args.paths, str(build_class(Path(folder) / "sample-class",
                                                                assignment=args.graded_as))])


def _self_check(args) -> int:
    """grade --self-check NOTEBOOK: the visible checks, as the student sees them."""
    from grader.checks import all_specs

    args.student_view = True
    args.only = [s.id for s in all_specs(args.graded_as) if s.visibility == "visible"]
    args.paths = [args.self_check]
    return _grade_paths(args, args.paths)


def _similar_pairs(args, reports) -> list[dict]:
    """Copied-work pairs; a failure here costs the pairs (said on stderr), never the grades."""
    from grader.similarity import THRESHOLD, similar_pairs, student_code

    threshold = THRESHOLD if args.similarity_threshold is None else args.similarity_threshold
    try:
        return similar_pairs({r.student: student_code(Path(r.submission)) for r in reports}, args.graded_as,
                             threshold=threshold)
    except Exception as error:  # copydetect on odd input: the grades stand without the pairs
        print(f"grade: copied-work detection failed ({type(error).__name__}: {error}); no pairs listed",
              file=sys.stderr)
        return []


def _class_outputs(args, reports, similar) -> None:
    """--report and --feedback, for a class graded by path or through nbgrader."""
    try:
        if args.report:
            from grader.report import class_report

            Path(args.report).write_text(class_report.render(reports, title=f"{args.graded_as.title}: {len(reports)} "
                                                             "submissions", similar=similar))
            print(f"wrote {args.report}", file=sys.stderr)
        if args.feedback:
            from grader.report import feedback_files

            written = feedback_files.write_all(reports, Path(args.feedback))
            print(f"wrote {len(written)} feedback pages into {args.feedback}", file=sys.stderr)
    except OSError as error:  # the grades are printed (and saved with --results): say what was not written
        print(f"grade: {error.filename or ''}: could not be written ({error.strerror}); the grades above stand",
              file=sys.stderr)


def _print_reports(args, reports, *, single: bool, similar=()) -> None:
    if args.json:
        print(tables.to_json(reports, single=single, student_view=args.student_view, similar_pairs=similar))
    else:
        for report in reports:
            print(terminal.render(report, student_view=args.student_view))
            print()
        if len(reports) > 1:
            print(terminal.render_summary(reports))
        _print_similar(similar)
    if args.csv:
        text = tables.to_csv(reports)
        if args.csv == "-":
            sys.stdout.write(text)
        else:
            Path(args.csv).write_text(text)
            print(f"wrote {args.csv}", file=sys.stderr)


def _print_similar(similar) -> None:
    for pair in similar:
        a, b = pair["students"]
        print(f"similar code: {a} and {b} ({pair['similarity']:.0%} of their own code alike)")


def _jobs(text: str):
    if text == "auto":
        return text
    try:
        jobs = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is neither a number nor auto") from None
    if jobs < 1:
        raise argparse.ArgumentTypeError("at least 1")
    return jobs


def _limits(args) -> Limits:
    return Limits(memory_mb=args.memory, tasks=args.processes)


def _lab(lab_args: list[str]) -> int:
    """JupyterLab whose kernels (and so their Ray workers) skip an unused 2.4 s import: a
    notebook's self-check takes about 30 s instead of 80 s on a 2-core machine."""
    env = with_startup_path(dict(os.environ))
    command = [sys.executable, "-m", "jupyterlab", *lab_args]
    os.execve(sys.executable, command, env)
    return 0


def _new_course(args) -> int:
    """grade --new-course COURSE: an nbgrader course with the named assignment, or every one installed."""
    from grader.assignment import installed
    from grader.nbgrader_course import CourseError, course_id_of, new_course

    assignments = [args.graded_as] if args.graded_as else installed()
    args.course_id = args.course_id or course_id_of(assignments)
    try:
        config, *sources, exchange = new_course(Path(args.new_course), exchange=args.exchange,
                                                course_id=args.course_id, assignments=assignments)
    except CourseError as error:
        parser().error(str(error))
    root, names = config.parent, [source.parent.name for source in sources]
    name = names[0] if len(names) == 1 else "NAME"
    listed = "\n  ".join(str(source) for source in sources)
    print(f"course {args.course_id!r} in {root}\n  {config}\n  {listed}\n  exchange: {exchange}\n\n"
          f"next{'' if len(names) == 1 else ', for each NAME of ' + ', '.join(names)}:\n  cd {root}\n"
          f"  nbgrader generate_assignment {name}\n  nbgrader release_assignment {name}\n"
          "  (students: nbgrader fetch_assignment / submit, with the same course id and exchange)\n"
          f"  nbgrader collect {name}\n  grade --nbgrader {name} --jobs 2\n"
          f"  nbgrader export; nbgrader release_feedback {name}")
    return 0


def _student_kit(args) -> int:
    """grade --student-kit DIR: the students' wheel, and the one command that installs it."""
    from grader.student_kit import build

    wheel = build(Path(args.student_kit), [args.graded_as] if args.assignment else None).resolve()
    print(f"wrote {wheel}\n\nin the students' environment (their JupyterHub image, a lab machine, a laptop):\n"
          f"  pip install {wheel}\n\nIt holds the notebook's self-check and autograder cells, no reference "
          "solution and no hidden check's code; install the full grader only where you grade.")
    return 0


def _gradescope_autograder(args) -> int:
    """grade --gradescope-autograder OUT.zip: the zip Gradescope's autograder settings take."""
    from grader.gradescope import build_autograder

    out = build_autograder(Path(args.gradescope_autograder), assignment=args.graded_as).resolve()
    print(f"wrote {out}\n\nOn Gradescope: a Programming Assignment, Configure Autograder, upload this zip "
          "(Ubuntu 22.04 base image), then test it with a notebook; see the README's Gradescope section.")
    return 0


def _nbgrader(args) -> int:
    from grader.nbgrader_course import CourseError, grade_course

    _check_only(args)
    _announce(args)
    run_one, jobs = _runner(args)
    try:
        with _cluster_output(args):
            reports = grade_course(Path.cwd(), args.nbgrader, student=args.student, jobs=jobs,
                                   wall_seconds=args.timeout, only=args.only, progress=Progress(),
                                   limits=_limits(args), run_one=run_one, graded_as=args.graded_as)
    except CourseError as error:
        parser().error(str(error))
    similar = _similar_pairs(args, reports) if len(reports) > 1 else []
    print(terminal.render_summary(reports))
    _print_similar(similar)
    _class_outputs(args, reports, similar)
    print(f"\nrecorded in {Path.cwd() / 'gradebook.db'} (nbgrader export), autograded/ and feedback/ "
          f"(nbgrader release_feedback {args.nbgrader})")
    return _exit_status(reports)


if __name__ == "__main__":
    sys.exit(main())
