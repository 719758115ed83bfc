"""Report stage: the progress bar while grading, then a grades CSV, a score histogram per question, and the
class report (`report.html` and its CSV, see `autograder.classreport`).

The files are read back from nbgrader's gradebook, so they include submissions graded by an earlier (killed)
run and any manual grades, exactly what `nbgrader export` would see. The plots are drawn by a `Plotter`, a
helper process (`python -m autograder.report`) started with the batch: matplotlib's import and first figure
(~2 s) happen on the core the grading leaves idle instead of after the last notebook.
"""
from __future__ import annotations

import csv
import json
import math
import os
import subprocess
import sys
from pathlib import Path

from tqdm import tqdm


class Progress:
    """tqdm bar over notebooks, with the counts an instructor watches: graded, failed, timed out, died."""

    def __init__(self, total: int, enabled: bool = True):
        self.counts = {"graded": 0, "failed": 0, "timeout": 0, "died": 0}
        self.bar = tqdm(total=total, unit="nb", desc="grading", disable=not enabled)

    def update(self, status: str) -> None:
        self.counts["graded" if status == "ok" else status] += 1
        self.bar.set_postfix(self.counts, refresh=False)
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


def gradebook_scores(db_url: str, assignment: str) -> tuple[list[str], dict[str, dict[str, float]], dict]:
    """(question ids in notebook order, student -> question -> score, question -> max score)."""
    from nbgrader.api import Gradebook  # here, so the plotting helper process does not import nbgrader

    questions: list[str] = []
    max_scores: dict[str, float] = {}
    scores: dict[str, dict[str, float]] = {}
    with Gradebook(db_url) as gb:
        for notebook in gb.find_assignment(assignment).notebooks:
            for cell in notebook.grade_cells:
                question = f"{notebook.name}:{cell.name}"
                questions.append(question)
                max_scores[question] = float(cell.max_score)
        for submission in gb.assignment_submissions(assignment):
            row = scores.setdefault(submission.student_id, {})
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    row[f"{notebook.name}:{grade.name}"] = float(grade.score or 0.0)
    return questions, scores, max_scores


def write_csv(path: Path, questions: list[str], scores: dict, max_scores: dict) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student_id", *questions, "score", "max_score"])
        total = sum(max_scores.values())
        for student in sorted(scores):
            row = [scores[student].get(q, 0.0) for q in questions]
            writer.writerow([student, *row, sum(row), total])
    return path


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only: a grading server has no display
    import matplotlib.pyplot as plt

    return plt


def _warm_up() -> None:
    """matplotlib's first figure loads the fonts and fills its caches: done while the class is being graded."""
    plt = _pyplot()
    fig, ax = plt.subplots()
    ax.hist([0.0, 1.0])
    ax.set_title("warm-up")
    fig.canvas.draw()
    plt.close(fig)


def write_histogram(path: Path, questions: list[str], scores: dict, max_scores: dict) -> Path:
    plt = _pyplot()
    columns = min(4, max(1, len(questions)))
    rows = max(1, math.ceil(len(questions) / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(3.2 * columns, 2.4 * rows), squeeze=False)
    for ax, question in zip(axes.flat, questions):
        values = [scores[s].get(question, 0.0) for s in scores]
        top = max_scores[question] or 1.0
        ax.hist(values, bins=min(10, max(2, int(top * 2) + 1)), range=(0, top))
        ax.set_title(question, fontsize=8)
        ax.set_xlabel(f"points (of {max_scores[question]:g})", fontsize=7)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(questions):]:
        ax.axis("off")
    # fixed margins sized for the 8-point titles and 7-point labels: tight_layout measured every text, ~0.3 s
    fig.subplots_adjust(left=0.25 / columns, right=1 - 0.05 / columns, bottom=0.45 / (2.4 * rows),
                        top=1 - 0.3 / (2.4 * rows), wspace=0.3, hspace=0.6)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


class Plotter:
    """The histogram helper process: started early to warm up, handed one request per line (one per assignment
    when a run grades several), answering each with a line: "ok" or the error."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "autograder.report"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def __enter__(self) -> Plotter:
        return self

    def __exit__(self, *exc) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def draw(self, path: Path, questions: list[str], scores: dict, max_scores: dict,
             heatmap: dict | None = None) -> Path:
        request = {"path": str(path), "questions": questions, "scores": scores, "max_scores": max_scores,
                   "heatmap": heatmap}
        try:
            self.proc.stdin.write(json.dumps(request) + "\n")
            self.proc.stdin.flush()
            answer = self.proc.stdout.readline().strip()
        except OSError:  # the helper is gone (killed, or it failed to start): say why below
            answer = ""
        if answer != "ok":
            err = answer or (self.proc.stderr.read().strip().splitlines() or ["the helper process ended"])[-1]
            raise RuntimeError(f"the histogram could not be drawn: {err}")
        return path


def write_heatmap(path: Path, students: list[str], assignments: list[str], values: list[list]) -> Path:
    """Students x assignments, the share of points each scored (a missing submission is blank, not 0)."""
    plt = _pyplot()
    import numpy as np

    grid = np.array([[np.nan if v is None else v for v in row] for row in values], dtype=float).reshape(
        len(students), len(assignments))
    # room for the student ids on the left and the colour bar's label on the right, even with one assignment
    fig, ax = plt.subplots(figsize=(3.6 + 0.9 * max(1, len(assignments)), 1.2 + 0.22 * max(1, len(students))))
    cmap = plt.get_cmap("viridis").copy()
    cmap.set_bad("#dddddd")
    image = ax.imshow(np.ma.masked_invalid(grid), cmap=cmap, vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(assignments)), assignments, fontsize=7, rotation=30, ha="right")
    ax.set_yticks(range(len(students)), students, fontsize=6)
    fig.colorbar(image, ax=ax, label="share of points (grey: missing)")
    fig.subplots_adjust(left=0.18, right=0.95, bottom=0.15)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def draw(request: dict) -> None:
    """The histogram, and the course heat map when asked: what the helper process is handed."""
    write_histogram(Path(request["path"]), request["questions"], request["scores"], request["max_scores"])
    if request.get("heatmap"):
        heat = request["heatmap"]
        write_heatmap(Path(heat["path"]), heat["students"], heat["assignments"], heat["values"])


def write_reports(db_url: str, assignment: str, out_dir: Path, plotter: Plotter | None = None,
                  state_dir: Path | None = None) -> tuple[Path, Path, Path | None]:
    """`<assignment>_grades.csv`, `<assignment>_scores.png` and (with the verdicts' `state_dir`) the class
    report `<assignment>_report.html` with `<assignment>_report.csv`, in `out_dir`."""
    from autograder import classreport

    questions, scores, max_scores = gradebook_scores(db_url, assignment)
    png = out_dir / f"{assignment}_scores.png"
    csv_path = write_csv(out_dir / f"{assignment}_grades.csv", questions, scores, max_scores)
    course = classreport.course_view(db_url) if state_dir is not None else None
    heatmap = classreport.heatmap_request(course, out_dir / f".{assignment}_course.png") if course else None
    request = {"path": str(png), "questions": questions, "scores": scores, "max_scores": max_scores,
               "heatmap": heatmap}
    if plotter:
        plotter.draw(png, questions, scores, max_scores, heatmap)
    else:
        draw(request)
    if state_dir is None:
        return csv_path, png, None
    html = classreport.write(out_dir, assignment, questions, scores, max_scores, state_dir, course, png,
                             Path(heatmap["path"]) if heatmap else None)
    return csv_path, png, html


def _plot_main() -> None:
    os.nice(10)  # the grading comes first; the plots are only needed at the end
    _warm_up()
    for line in sys.stdin:
        try:
            draw(json.loads(line))
            answer = "ok"
        except Exception as err:  # one plot that fails must not take the next assignment's down with it
            answer = f"{type(err).__name__}: {err}".replace("\n", " ")
        print(answer, flush=True)


if __name__ == "__main__":
    _plot_main()
