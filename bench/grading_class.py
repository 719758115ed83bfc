"""A whole class through the course: N students x every assignment, graded with `python -m autograder grade`.

    python bench/grading_class.py [--students 200] [--workers 2] [--seed 7]

Builds a copy of this course in a temporary directory (source/, nbgrader_config.py, `nbgrader generate_assignment`
for every assignment), gives each student a submission per assignment (three in four hand in the solutions, one
in four the untouched release), grades every assignment in one run, as an instructor grading the course would,
and prints seconds per assignment, per notebook and for the class, with the CPU seconds the run used (on a busy
machine the wall time says little; the CPU time says what the grading costs). The target on 2 cores: 200 students
x 12 assignments in 3 minutes or less (0.075 s per notebook). With --seed, the per-cell scores are written to
--scores, to compare two versions of the grader on the same draws.
"""
import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder.release import nbgrader_env, release, source_assignments  # noqa: E402

TARGET_SECONDS = 180  # 200 students x 12 assignments
TARGET_NOTEBOOKS = 200 * 12
SUMMARY = re.compile(r"^(?P<assignment>\S+): (?P<graded>\d+) graded.*\((?P<seconds>[\d.]+) s\)$", re.M)

def build(course: Path, students: int) -> list[str]:
    shutil.copytree(ROOT / "source", course / "source")
    shutil.copy(ROOT / "nbgrader_config.py", course)  # its paths follow the file: the course root is `course`
    assignments = source_assignments(course)
    release(assignments, root=course)
    for assignment in assignments:
        for i in range(students):
            origin = course / ("release" if i % 4 == 3 else "source") / assignment
            dest = course / "submitted" / f"student{i:03d}" / assignment
            shutil.copytree(origin, dest)
            (dest / "timestamp.txt").write_text("2026-11-23 12:00:00.000000 UTC")
    return assignments


def scores(course: Path, assignments: list[str]) -> dict[str, float | None]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {f"{a}/{s.student_id}/{n.name}/{g.name}": g.auto_score
                for a in assignments for s in gb.assignment_submissions(a) for n in s.notebooks for g in n.grades}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=None, help="the probe seed of every submission")
    parser.add_argument("--scores", type=Path, default=None, help="write every cell's score here (JSON)")
    args = parser.parse_args()
    env = nbgrader_env()
    work = Path(tempfile.mkdtemp(prefix="bench-class-"))
    work.chmod(0o755)
    try:
        course = work / "course"
        assignments = build(course, args.students)
        seed = ["--seed", str(args.seed)] if args.seed is not None else []
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        run = subprocess.run([sys.executable, "-m", "autograder", "grade", *assignments, "--course", str(course),
                              "--workers", str(args.workers), "--no-progress", *seed], cwd=course, env=env,
                             check=True, capture_output=True, text=True)
        total = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        for m in SUMMARY.finditer(run.stdout):
            seconds = float(m["seconds"])
            print(f"{m['assignment']:14s}: {seconds:6.1f} s, {seconds / args.students:.3f} s per notebook")
        notebooks = args.students * len(assignments)
        print(f"class: {args.students} students x {len(assignments)} assignments = {notebooks} notebooks in "
              f"{total:.1f} s ({total / notebooks:.3f} s per notebook, {args.workers} workers; "
              f"CPU {cpu:.0f} s, {cpu / notebooks:.3f} s per notebook)")
        scaled = total * TARGET_NOTEBOOKS / notebooks
        print(f"200 x 12 at this rate: {scaled:.0f} s (target <= {TARGET_SECONDS} s: "
              f"{'met' if scaled <= TARGET_SECONDS else 'missed'})")
        if args.scores:
            args.scores.write_text(json.dumps(scores(course, assignments), sort_keys=True, indent=0))
    finally:
        shutil.rmtree(work, ignore_errors=True)

if __name__ == "__main__":
    main()
