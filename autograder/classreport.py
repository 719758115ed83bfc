"""The class report: what the class got wrong, question by question, and who is falling behind.

    write(out_dir, assignment, questions, scores, max_scores, state_dir, course, histogram_png, heatmap_png)

`<assignment>_report.html` is one self-contained file (PNG plots inline as base64, no script, no network) and
`<assignment>_report.csv` the same numbers for a spreadsheet. Scores come from nbgrader's gradebook (manual
grades and late penalties included), outcomes and mistake labels from the per-cell verdicts
(`autograder.verdicts`). The report names students: it is written into the course directory, which only
instructors read.
"""
from __future__ import annotations

import base64
import csv
import html
import math
from collections import Counter, defaultdict
from pathlib import Path

from autograder.verdicts import read_assignment

EXAMPLES = 5  # student ids shown per mistake: enough to open a few notebooks, short enough to read
FAILING = ("visible-assert", "hidden-probe", "crashed", "timed-out", "died")  # a wrong answer, not an absent one
LOW_SHARE = 0.5  # a submission under half the points counts as low in "who is falling behind"


def net_score(submission) -> float:
    """A submission's score as nbgrader's own export gives it: raw score minus the late penalty, at least 0."""
    return max(0.0, float(submission.score or 0.0) - float(submission.late_submission_penalty or 0.0))


def course_view(db_url: str) -> dict:
    """{"assignments", "students", "scores": {student: {assignment: net score or None}}, "max": {assignment: max}}."""
    from nbgrader.api import Gradebook

    from nbgrader.api import Assignment, SubmittedAssignment

    with Gradebook(db_url) as gb:
        # one query for the whole course: the score and penalty are nbgrader's own column expressions, which read
        # one by one cost two queries per submission (seconds, for a term of a large class, at every grade run)
        rows = (gb.db.query(SubmittedAssignment.student_id, Assignment.name, SubmittedAssignment.score,
                            SubmittedAssignment.late_submission_penalty)
                .join(Assignment, SubmittedAssignment.assignment_id == Assignment.id).all())
        submitted = {name for _, name, _, _ in rows}
        assignments = [a for a in sorted(gb.assignments, key=lambda a: (a.duedate is None, a.duedate, a.name))
                       if a.name in submitted]
        students = sorted(s.id for s in gb.students)
        scores = {s: {a.name: None for a in assignments} for s in students}
        maxima = {a.name: float(a.max_score or 0.0) for a in assignments}
        for student, name, score, penalty in rows:
            scores[student][name] = max(0.0, float(score or 0.0) - float(penalty or 0.0))
    return {"assignments": [a.name for a in assignments], "students": students, "scores": scores, "max": maxima}


def heatmap_request(course: dict, path: Path) -> dict:
    values = [[None if course["scores"][s][a] is None else course["scores"][s][a] / (course["max"][a] or 1.0)
               for a in course["assignments"]] for s in course["students"]]
    return {"path": str(path), "students": course["students"], "assignments": course["assignments"],
            "values": values}


def _correlation(xs: list[float], ys: list[float]) -> float | None:
    """Pearson's r, or None when either side does not vary (everyone scored the same: nothing to discriminate)."""
    n = len(xs)
    if n < 3:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / math.sqrt(sxx * syy)


def question_stats(questions: list[str], scores: dict, max_scores: dict, rows: list[dict]) -> list[dict]:
    """Per question: mean points, share with full marks, share not attempted, discrimination, ranked mistakes.

    The discrimination index is the correlation, over the submissions, of the question's points with the points
    of the rest of the notebook (the question itself left out, so that it does not correlate with itself).
    """
    by_question: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_question[f"{row['notebook']}:{row['question']}"].append(row)
    students = sorted(scores)
    totals = {s: sum(scores[s].values()) for s in students}
    stats = []
    for question in questions:
        points = [scores[s].get(question, 0.0) for s in students]
        top = max_scores[question]
        verdicts = by_question.get(question, [])
        mistakes: dict[str, list[str]] = defaultdict(list)
        for row in verdicts:
            if row["outcome"] in FAILING:
                mistakes[row["mistake"] or row["outcome"]].append(row["student"])
        ranked = sorted(mistakes.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        n = len(students) or 1
        stats.append({
            "question": question, "max": top, "submissions": len(students),
            "mean": sum(points) / n,
            "full_share": sum(1 for p in points if top and p >= top) / n,
            "not_attempted_share": sum(1 for r in verdicts if r["outcome"] == "not-attempted") / n,
            "failing": sum(1 for r in verdicts if r["outcome"] in FAILING),
            "discrimination": _correlation(points, [totals[s] - scores[s].get(question, 0.0) for s in students]),
            "mistakes": [{"mistake": label, "count": len(who), "students": sorted(who),
                          "message": next(r["message"] for r in verdicts
                                          if r["student"] == sorted(who)[0] and (r["mistake"] or r["outcome"]) == label
                                          and r["outcome"] in FAILING)}
                         for label, who in ranked],
        })
    return stats


def falling_behind(course: dict) -> list[tuple[str, list[str], list[str]]]:
    """(student, assignments missing, assignments under LOW_SHARE of the points) for every student with either."""
    behind = []
    for student in course["students"]:
        row = course["scores"][student]
        missing = [a for a in course["assignments"] if row[a] is None]
        low = [a for a in course["assignments"] if row[a] is not None and course["max"][a]
               and row[a] / course["max"][a] < LOW_SHARE]
        if missing or low:
            behind.append((student, missing, low))
    return behind


def write_csv(path: Path, stats: list[dict]) -> Path:
    """One row per question (mistake empty), then one per named mistake of that question."""
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["question", "max", "mean", "full_marks_share", "not_attempted_share", "discrimination",
                         "mistake", "count", "students"])
        for q in stats:
            head = [q["question"], q["max"], round(q["mean"], 4), round(q["full_share"], 4),
                    round(q["not_attempted_share"], 4),
                    "" if q["discrimination"] is None else round(q["discrimination"], 4)]
            writer.writerow([*head, "", q["failing"], ""])
            for m in q["mistakes"]:
                writer.writerow([*head, m["mistake"], m["count"], " ".join(m["students"])])
    return path


def _image(path: Path | None, alt: str) -> str:
    if path is None or not Path(path).is_file():
        return ""
    data = base64.b64encode(Path(path).read_bytes()).decode()
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


STYLE = """body{font-family:sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}th{background:#f3f3f3}
td.n{text-align:right}img{max-width:100%}.msg{color:#555;font-size:.85em}"""


def render_html(assignment: str, stats: list[dict], course: dict | None, histogram: Path | None,
                heatmap: Path | None) -> str:
    e = html.escape
    out = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{e(assignment)}: class report</title>"
           f"<style>{STYLE}</style></head><body><h1>{e(assignment)}: what the class got wrong</h1>"]
    n = stats[0]["submissions"] if stats else 0
    out.append(f"<p>{n} submissions. Scores from nbgrader's gradebook; mistakes from the hidden tests.</p>")
    out.append("<h2>Questions</h2><table><tr><th>question</th><th>max</th><th>mean</th><th>full marks</th>"
               "<th>not attempted</th><th>discrimination</th><th>most common mistake</th></tr>")
    for q in stats:
        top = q["mistakes"][0] if q["mistakes"] else None
        common = f"{e(top['mistake'])} ({top['count']})" if top else ""
        disc = "–" if q["discrimination"] is None else f"{q['discrimination']:.2f}"
        out.append(f"<tr><td>{e(q['question'])}</td><td class=n>{q['max']:g}</td><td class=n>{q['mean']:.2f}</td>"
                   f"<td class=n>{q['full_share']:.0%}</td><td class=n>{q['not_attempted_share']:.0%}</td>"
                   f"<td class=n>{disc}</td><td>{common}</td></tr>")
    out.append("</table>")
    out.append("<h2>Score histograms</h2>" + _image(histogram, f"{assignment} score histograms"))
    out.append("<h2>Named mistakes, by how many students made them</h2>")
    if not any(q["mistakes"] for q in stats):
        out.append("<p>None: every answer that lost points was not attempted, or nobody lost any.</p>")
    for q in stats:
        if not q["mistakes"]:
            continue
        out.append(f"<h3>{e(q['question'])}</h3><table><tr><th>mistake</th><th>students</th><th>for example</th>"
                   "<th>what the first of them read</th></tr>")
        for m in q["mistakes"]:
            shown = ", ".join(m["students"][:EXAMPLES]) + (" …" if len(m["students"]) > EXAMPLES else "")
            out.append(f"<tr><td>{e(m['mistake'])}</td><td class=n>{m['count']}</td><td>{e(shown)}</td>"
                       f"<td class=msg>{e(m['message'])}</td></tr>")
        out.append("</table>")
    if course:
        out.append("<h2>The course: students × assignments</h2>" + _image(heatmap, "students by assignments"))
        behind = falling_behind(course)
        out.append(f"<h2>Falling behind ({len(behind)})</h2>")
        if behind:
            out.append("<table><tr><th>student</th><th>missing</th><th>under half the points</th></tr>")
            for student, missing, low in behind:
                out.append(f"<tr><td>{e(student)}</td><td>{e(', '.join(missing))}</td>"
                           f"<td>{e(', '.join(low))}</td></tr>")
            out.append("</table>")
    out.append("</body></html>")
    return "\n".join(out)


def write(out_dir: Path, assignment: str, questions: list[str], scores: dict, max_scores: dict, state_dir: Path,
          course: dict | None, histogram: Path | None, heatmap: Path | None, progress: bool = False) -> Path:
    """`<assignment>_report.html` and `<assignment>_report.csv` in `out_dir`; the HTML's path."""
    rows = read_assignment(state_dir, progress=progress)
    stats = question_stats(questions, scores, max_scores, rows)
    write_csv(out_dir / f"{assignment}_report.csv", stats)
    path = out_dir / f"{assignment}_report.html"
    path.write_text(render_html(assignment, stats, course, histogram, heatmap))
    if heatmap is not None:
        Path(heatmap).unlink(missing_ok=True)  # inlined in the HTML: no stray file beside the gradebook
    return path
