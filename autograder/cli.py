"""`python -m autograder`: parse the arguments, call one engine function per subcommand, print its result."""
from __future__ import annotations

import argparse
import gc
import logging
import sys
import time
from pathlib import Path


def _grade(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from autograder.config import GradeOptions
    from autograder.execute import Limits, WorkerPool

    limits = Limits(cell_timeout=args.cell_timeout, notebook_timeout=args.notebook_timeout, memory_mb=args.memory_mb)
    options = GradeOptions(assignment=args.assignments[0], course=Path(args.course), workers=args.workers,
                           limits=limits, seed=args.seed, force=args.force, run_as=args.run_as,
                           unconfined=args.unconfined, progress=not args.no_progress)
    # the workers boot (about a second) while this process imports nbgrader (about a second)
    with WorkerPool(workers=options.workers, run_as=options.run_as,
                    sandbox="off" if options.unconfined else "required") as pool:
        from autograder.grade import UNCONFINED_WARNING, grade
        from autograder.report import Plotter

        if options.unconfined:
            print(UNCONFINED_WARNING.format(user=pool.run_as or "this user"), file=sys.stderr)
        else:
            confined, why = pool.confinement()
            if not confined:
                print(f"grade: cannot confine student code here ({why}).\n  Run as root, or as a user allowed to "
                      f"create user namespaces; or pass --unconfined to grade anyway, unprotected.", file=sys.stderr)
                return 3

        # what is imported now (nbgrader, SQLAlchemy, jupyter_server) lives as long as the process: keep the
        # collector's full passes, triggered by the gradebook's many short-lived objects, from walking it
        gc.freeze()
        status = 0
        # several assignments share the workers, the imports and the plotting helper: each costs a second or two
        with Plotter() as plotter:
            for assignment in args.assignments:
                start = time.perf_counter()
                try:
                    summary = grade(replace(options, assignment=assignment), pool, plotter)
                    _print_summary(summary, time.perf_counter() - start)
                except SystemExit as err:  # an assignment that is not in the gradebook: say so, grade the rest
                    print(err.code, file=sys.stderr)
                    status = 2
    return status


def _print_summary(summary, seconds: float) -> None:
    print(f"{summary.assignment}: {summary.count('ok')} graded, {summary.count('failed')} failed, "
          f"{summary.count('timeout')} timed out, {summary.count('died')} with a dead process, "
          f"{len(summary.skipped)} already graded ({seconds:.1f} s)")
    if summary.csv:
        print(f"grades: {summary.csv}\nhistogram: {summary.plot}")
    if summary.report:
        print(f"report: {summary.report}")


def _report(args: argparse.Namespace) -> int:
    from autograder.export import report

    print(f"report: {report(Path(args.course), args.assignment, progress=not args.no_progress)}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from autograder.export import export

    if args.output:
        with open(args.output, "w", newline="") as out:
            export(Path(args.course), args.format, out)
    else:
        export(Path(args.course), args.format, sys.stdout)
    return 0


def _sync_lms(args: argparse.Namespace) -> int:
    from autograder.lms import MissingSetting, PlatformError, sync

    overrides = {"lineitems": args.lineitems, "token_url": args.token_url, "key_file": args.key_file,
                 "client_id": args.client_id, "kid": args.kid}
    try:
        summary = sync(Path(args.course), args.assignment, overrides, timeout=args.timeout)
    except MissingSetting as error:
        print(error, file=sys.stderr)
        return 2
    except PlatformError as error:
        print(f"sync-lms: {error}; scores the platform accepted before are recorded, a rerun resumes",
              file=sys.stderr)
        return 1
    print(f"{args.assignment}: posted {len(summary.posted)}, unchanged {len(summary.unchanged)}, "
          f"skipped {len(summary.skipped)} (no LMS id)")
    return 0


def _check(args: argparse.Namespace) -> int:
    from autograder.execute import WorkerPool

    # the worker boots while this process reads the notebook, imports the hidden tests and draws their inputs.
    # Unconfined and as the user who runs it (root included): a self-learner's check runs their own code, as
    # Jupyter does; an unprivileged stand-in would first have to import the whole standard library it cannot read.
    with WorkerPool(workers=1, run_as="", sandbox="off", light=True) as pool:
        from autograder.check import main_check

        print("check: your notebook runs as you, unconfined, as it does in Jupyter (grading on a hub confines it)",
              file=sys.stderr)

        return main_check(args.notebook, seed=args.seed, pool=pool, cell_timeout=args.cell_timeout,
                          progress=sys.stderr)  # stdout stays the table


def _release(args: argparse.Namespace) -> int:
    from autograder.release import release

    made = release(args.assignments or None, force=args.force)
    for folder in made:
        print(folder)
    if not made:
        print("release/ is up to date with source/ (--force to regenerate anyway)")
    return 0


def parser() -> argparse.ArgumentParser:
    from autograder.execute import DEFAULT_CELL_TIMEOUT

    defaults = _defaults()
    top = argparse.ArgumentParser(prog="python -m autograder", description="Grade the course's notebooks.")
    commands = top.add_subparsers(dest="command", required=True)

    grade = commands.add_parser("grade", help="grade every submitted/*/ASSIGNMENT of an nbgrader course")
    grade.add_argument("assignments", nargs="+", metavar="ASSIGNMENT", help="one or more, graded in turn")
    grade.add_argument("--course", default=".", help="the nbgrader course directory (default: .)")
    grade.add_argument("--workers", type=int, default=defaults.workers, help="parallel student processes")
    grade.add_argument("--seed", type=int, default=None, help="probe seed, to regrade as an earlier run did")
    grade.add_argument("--force", action="store_true", help="regrade submissions an earlier run finished")
    grade.add_argument("--cell-timeout", type=float, default=None,
                       help=f"seconds per cell (default: the course's Execute.timeout, else {DEFAULT_CELL_TIMEOUT:g})")
    grade.add_argument("--notebook-timeout", type=float, default=defaults.limits.notebook_timeout)
    grade.add_argument("--memory-mb", type=int, default=defaults.limits.memory_mb)
    grade.add_argument("--run-as", default=None, help="user for student code (default: nobody when root)")
    grade.add_argument("--unconfined", action="store_true",
                       help="run student code without namespaces: it can read what its user can (see docs/grading.md)")
    grade.add_argument("--no-progress", action="store_true", help="no progress bar")
    grade.set_defaults(run=_grade)

    check = commands.add_parser("check", help="a self-learner's check of one notebook")
    check.add_argument("notebook")
    check.add_argument("--seed", type=int, default=None)
    # the default lives with `check` (autograder.check.CHECK_CELL_TIMEOUT): importing it here would delay the worker
    check.add_argument("--cell-timeout", type=float, default=None,
                       help="seconds per cell (default: a short limit for someone at the terminal, about 10)")
    check.set_defaults(run=_check)

    report = commands.add_parser("report", help="the class report of a graded assignment: HTML and CSV")
    report.add_argument("assignment")
    report.add_argument("--course", default=".", help="the nbgrader course directory (default: .)")
    report.add_argument("--no-progress", action="store_true", help="no progress bar")
    report.set_defaults(run=_report)

    export = commands.add_parser("export", help="the gradebook's totals for Canvas, or every graded cell as CSV")
    export.add_argument("--course", default=".", help="the nbgrader course directory (default: .)")
    export.add_argument("--format", choices=("canvas", "csv"), default="canvas")
    export.add_argument("--output", "-o", default=None, help="file to write (default: stdout)")
    export.set_defaults(run=_export)

    lms = commands.add_parser("sync-lms", help="post an assignment's scores to the LMS (LTI Advantage AGS)")
    lms.add_argument("assignment")
    lms.add_argument("--course", default=".", help="the nbgrader course directory (default: .)")
    lms.add_argument("--timeout", type=float, default=20.0, help="seconds to wait for each platform call (default 20)")
    # each overrides the setting of the same name in <course>/.autograder/lms.json, which LTI launches write
    lms.add_argument("--lineitems", default=None, help="the context's AGS line items URL")
    lms.add_argument("--token-url", default=None, help="the platform's OAuth2 token endpoint")
    lms.add_argument("--key-file", default=None, help="the tool's RSA private key (PEM)")
    lms.add_argument("--client-id", default=None, help="the tool's client_id at the platform")
    lms.add_argument("--kid", default=None, help="the key id of the tool's key in its JWKS")
    lms.set_defaults(run=_sync_lms)

    release = commands.add_parser("release", help="regenerate release/ from source/")
    release.add_argument("assignments", nargs="*")
    release.add_argument("--force", action="store_true", help="regenerate even the assignments whose source is unchanged")
    release.set_defaults(run=_release)
    return top


def _defaults():
    from autograder.config import GradeOptions

    return GradeOptions(assignment="")


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    args = parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
