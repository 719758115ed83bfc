"""Grades out of the course: `python -m autograder report` and `export --format canvas|csv`.

Canvas layout (its gradebook export, which its gradebook import reads back): a header
``Student, ID, SIS User ID, SIS Login ID, Section, <one column per assignment>``, then a row whose Student cell
is ``Points Possible`` with each assignment's maximum, then one row per student. Canvas matches a row to a student
by ID (its own user id: nbgrader's `lms_user_id`, when the roster has it) or by SIS User ID / SIS Login ID
(here the nbgrader student id). Scores are nbgrader's: raw score minus the recorded late penalty, never below 0,
as `nbgrader export` gives them; a missing submission is left empty, which Canvas's import leaves alone.

The long CSV has one row per graded cell of every recorded submission: student, assignment, question, points,
max, outcome, mistake (from the per-cell verdicts; nbgrader's own points).
"""
from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import TextIO

CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
POINTS_POSSIBLE = "    Points Possible"  # as Canvas writes it, indented under the student names
LONG_COLUMNS = ["student", "assignment", "question", "points", "max", "outcome", "mistake"]


def _student_name(student) -> str:
    if student.last_name and student.first_name:
        return f"{student.last_name}, {student.first_name}"
    return student.last_name or student.first_name or student.id


def write_canvas(db_url: str, out: TextIO) -> None:
    from nbgrader.api import Gradebook

    from autograder.classreport import course_view

    course = course_view(db_url)
    writer = csv.writer(out)
    writer.writerow(CANVAS_COLUMNS + course["assignments"])
    writer.writerow([POINTS_POSSIBLE, "", "", "", ""] + [f"{course['max'][a]:g}" for a in course["assignments"]])
    with Gradebook(db_url) as gb:
        people = {s.id: s for s in gb.students}
        for sid in course["students"]:
            person = people[sid]
            scores = [("" if course["scores"][sid][a] is None else f"{course['scores'][sid][a]:g}")
                      for a in course["assignments"]]
            writer.writerow([_student_name(person), person.lms_user_id or "", sid, sid, ""] + scores)


def write_long(course_dir: Path, db_url: str, out: TextIO) -> None:
    """The verdicts of every assignment, with the gradebook's points (manual grades win, as in nbgrader)."""
    from autograder.classreport import course_view
    from autograder.report import gradebook_scores
    from autograder.verdicts import read_assignment

    writer = csv.writer(out)
    writer.writerow(LONG_COLUMNS)
    for assignment in course_view(db_url)["assignments"]:
        _, scores, _ = gradebook_scores(db_url, assignment)
        for row in read_assignment(course_dir / ".autograder" / assignment):
            points = scores.get(row["student"], {}).get(f"{row['notebook']}:{row['question']}", row["points"])
            writer.writerow([row["student"], assignment, f"{row['notebook']}:{row['question']}", f"{points:g}",
                             f"{row['max']:g}", row["outcome"], row["mistake"]])


def export(course_dir: Path, fmt: str, out: TextIO = sys.stdout) -> None:
    from autograder.grade import Course

    db_url = Course(course_dir, "").db_url
    if fmt == "canvas":
        write_canvas(db_url, out)
    else:
        write_long(course_dir, db_url, out)


def report(course_dir: Path, assignment: str, progress: bool = True) -> Path:
    """The class report of one assignment, from the gradebook and the verdicts (plots drawn in this process)."""
    from autograder import classreport
    from autograder.grade import Course, _check_assignment
    from autograder.report import draw, gradebook_scores, write_csv

    course = Course(course_dir, assignment)
    _check_assignment(course)
    root = Path(course.coursedir.root)
    questions, scores, max_scores = gradebook_scores(course.db_url, assignment)
    write_csv(root / f"{assignment}_grades.csv", questions, scores, max_scores)
    view = classreport.course_view(course.db_url)
    png = root / f"{assignment}_scores.png"
    heat = classreport.heatmap_request(view, root / f".{assignment}_course.png")
    draw({"path": str(png), "questions": questions, "scores": scores, "max_scores": max_scores, "heatmap": heat})
    return classreport.write(root, assignment, questions, scores, max_scores, root / ".autograder" / assignment,
                             view, png, Path(heat["path"]), progress=progress)
