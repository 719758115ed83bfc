"""A whole class through the course: N students x every assignment, graded with `python -m autograder grade`.

    python bench/grading_class.py [--students 200] [--workers 2]

Builds a copy of this course in a temporary directory (source/, nbgrader_config.py, `nbgrader generate_assignment`
for every assignment), gives each student a submission per assignment (three in four hand in the solutions, one
in four the untouched release), grades every assignment in turn and prints seconds per assignment, per notebook
and for the class. The target on 2 cores: 200 students x 7 assignments in 3 minutes or less.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder.release import nbgrader_env, release, source_assignments  # noqa: E402

TARGET_SECONDS = 180  # 200 students x 7 assignments


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    env = nbgrader_env()
    work = Path(tempfile.mkdtemp(prefix="bench-class-"))
    work.chmod(0o755)
    try:
        course = work / "course"
        assignments = build(course, args.students)
        total = 0.0
        for assignment in assignments:
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "autograder", "grade", assignment, "--course", str(course),
                            "--workers", str(args.workers), "--no-progress"], cwd=course, env=env, check=True,
                           capture_output=True)
            seconds = time.perf_counter() - start
            total += seconds
            print(f"{assignment:14s}: {seconds:6.1f} s, {seconds / args.students:.3f} s per notebook")
        notebooks = args.students * len(assignments)
        print(f"class: {args.students} students x {len(assignments)} assignments = {notebooks} notebooks in "
              f"{total:.1f} s ({total / notebooks:.3f} s per notebook, {args.workers} workers)")
        scaled = total * 200 * 7 / notebooks
        print(f"200 x 7 at this rate: {scaled:.0f} s (target <= {TARGET_SECONDS} s: "
              f"{'met' if scaled <= TARGET_SECONDS else 'missed'})")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
