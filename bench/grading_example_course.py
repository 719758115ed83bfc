"""nbgrader's own example course, 120 notebooks: stock `nbgrader autograde` against `python -m autograder grade`.

    python bench/grading_example_course.py [--students 60] [--workers 2]

Copies the user guide's course (`ps1`: problem1 and problem2), gives it N students whose submissions are copies of
its two real ones (bitdiddle's and hacker's, in turn), grades two identical copies of that class, one with each
tool, compares every cell's score and prints seconds per notebook and the ratio. Target: 20x stock or more.
"""
import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "grader")]

from course import add_student, grades, make_course, our_grade, stock_autograde  # noqa: E402

TARGET_RATIO = 20
ORIGINALS = ("bitdiddle", "hacker")


def build(tmp: Path, students: int) -> Path:
    course = make_course(tmp)
    for i in range(students - len(ORIGINALS)):
        add_student(course, f"student{i:03d}", ORIGINALS[i % len(ORIGINALS)])
    return course


def timed(run) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=60)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-example-"))
    try:
        (work / "stock").mkdir()
        (work / "ours").mkdir()
        stock_course, our_course = build(work / "stock", args.students), build(work / "ours", args.students)
        notebooks = 2 * args.students
        ours = timed(lambda: our_grade(our_course, "--workers", str(args.workers)))
        stock = timed(lambda: stock_autograde(stock_course))
        same = grades(stock_course) == grades(our_course)
        print(f"{notebooks} notebooks ({args.students} students x problem1, problem2)")
        print(f"stock nbgrader autograde: {stock:6.1f} s, {stock / notebooks:.3f} s per notebook")
        print(f"autograder grade:         {ours:6.1f} s, {ours / notebooks:.3f} s per notebook "
              f"({args.workers} workers)")
        print(f"ratio: {stock / ours:.1f}x (target >= {TARGET_RATIO}x: "
              f"{'met' if stock / ours >= TARGET_RATIO else 'missed'}); "
              f"cell scores {'identical to stock' if same else 'DIFFER from stock'}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
