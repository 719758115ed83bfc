"""The class report and the exports on a real graded class: planted mistakes, untouched releases, a missing
submission, graded by `python -m autograder grade` (real nbgrader, real execution), read back from the gradebook."""
import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from autograder.release import nbgrader_env, release
from course.helpers import ROOT, load_release, load_source, load_wrong, substitute, write_submission

ENV = nbgrader_env()
CHROMIUM = Path("/usr/bin/chromium")
STUDENTS = [f"s{i:02d}" for i in range(12)]
WRONG = load_wrong()
# (assignment, rung, function, index into WRONG): each plants a mistake the visible asserts let through
PLANTED = {
    ("01_line", "mse"): (("line", 2), ["s00", "s01", "s02"]),
    ("01_line", "train_line_step"): (("line", 2), ["s03", "s04"]),
    ("06_sampling", "greedy"): (("sampling", 0), ["s00", "s01"]),
    ("06_sampling", "sample_index"): (("sampling", 0), ["s02", "s03", "s04"]),
    ("06_sampling", "greedy#finite"): (("sampling", 3), ["s05"]),
}
UNTOUCHED = {"01_line": ["s05", "s06"], "06_sampling": ["s06"]}
MISSING = {"01_line": ["s11"], "06_sampling": []}
LATE = ("s07", "01_line")  # handed in the solutions after the due date: nbgrader's "zero" policy takes it all
DUE, ON_TIME, LATE_STAMP = "2026-11-24 00:00:00 UTC", "2026-11-23 12:00:00.000000 UTC", "2026-11-25 12:00:00.000000 UTC"


def _planted(assignment: str):
    """{student: [(function, code)]} of one assignment."""
    found: dict[str, list] = {}
    for (a, key), ((rung, index), students) in PLANTED.items():
        if a == assignment:
            function = key.split("#")[0]
            for s in students:
                found.setdefault(s, []).append((function, WRONG[rung][function][index][1]))
    return found


def _planted_by_question(assignment: str) -> dict[str, list[list[str]]]:
    """{question "nb:test_fn": [student group of each distinct planted mistake]}."""
    groups: dict[str, list] = {}
    for (a, key), (_, students) in PLANTED.items():
        if a == assignment:
            groups.setdefault(f"{a}:test_{key.split('#')[0]}", []).append(sorted(students))
    return groups


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("class")
    tmp.chmod(0o755)
    course = tmp / "course"
    (course / "source").mkdir(parents=True)
    for assignment in UNTOUCHED:
        shutil.copytree(ROOT / "source" / assignment, course / "source" / assignment)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    with (course / "nbgrader_config.py").open("a") as config:
        config.write('\nc.LateSubmissionPlugin.penalty_method = "zero"\n')
    release(list(UNTOUCHED), root=course)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        gb.update_or_create_assignment(LATE[1], duedate=DUE)
    for assignment in UNTOUCHED:
        planted = _planted(assignment)
        for student in STUDENTS:
            if student in MISSING[assignment]:
                continue
            nb = load_release(assignment) if student in UNTOUCHED[assignment] else load_source(assignment)
            for function, code in planted.get(student, []):
                nb = substitute(nb, function, code)
            dest = course / "submitted" / student / assignment
            write_submission(nb, dest, assignment)
            (dest / "timestamp.txt").write_text(LATE_STAMP if (student, assignment) == LATE else ON_TIME)
    runs = {}
    for assignment in UNTOUCHED:
        runs[assignment] = subprocess.run(
            [sys.executable, "-m", "autograder", "grade", assignment, "--course", str(course), "--no-progress"],
            cwd=course, env=ENV, check=True, capture_output=True, text=True)
    return course, runs


def _report_rows(course: Path, assignment: str) -> list[dict]:
    with (course / f"{assignment}_report.csv").open() as handle:
        return list(csv.DictReader(handle))


def _gradebook(course: Path, assignment: str) -> dict[tuple[str, str], tuple[float, float]]:
    """(student, "nb:cell") -> (score, max score), straight from nbgrader's gradebook."""
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {(s.student_id, f"{n.name}:{g.name}"): (float(g.score or 0), float(g.max_score))
                for s in gb.assignment_submissions(assignment) for n in s.notebooks for g in n.grades}


@pytest.mark.parametrize("assignment", list(UNTOUCHED))
def test_every_planted_mistake_is_counted_exactly(graded, assignment):
    course, runs = graded
    assert f"report: {course / f'{assignment}_report.html'}" in runs[assignment].stdout
    rows = _report_rows(course, assignment)
    labels_seen = set()
    for question, groups in _planted_by_question(assignment).items():
        named = {r["mistake"]: r for r in rows if r["question"] == question and r["mistake"]}
        for students in groups:
            matching = [label for label, r in named.items() if sorted(r["students"].split()) == students]
            assert len(matching) == 1, (question, students, named)
            label = matching[0]
            assert int(named[label]["count"]) == len(students)
            assert label not in ("wrong-output", "hidden-probe", "visible-assert") and label not in labels_seen
            labels_seen.add(label)


@pytest.mark.parametrize("assignment", list(UNTOUCHED))
def test_counts_add_up_to_the_failing_submissions(graded, assignment):
    course, _ = graded
    rows = _report_rows(course, assignment)
    book = _gradebook(course, assignment)
    questions = {r["question"] for r in rows}
    assert questions == {q for _, q in book}
    for question in questions:
        failing = {s for (s, q), (score, top) in book.items()
                   if q == question and score < top and s not in UNTOUCHED[assignment]}
        counts = [int(r["count"]) for r in rows if r["question"] == question and r["mistake"]]
        assert sum(counts) == len(failing), question
        head = next(r for r in rows if r["question"] == question and not r["mistake"])
        assert int(head["count"]) == len(failing)


@pytest.mark.parametrize("assignment", list(UNTOUCHED))
def test_an_untouched_release_is_not_attempted_not_a_mistake(graded, assignment):
    course, _ = graded
    submitted = [s for s in STUDENTS if s not in MISSING[assignment]]
    for row in _report_rows(course, assignment):
        assert not set(row["students"].split()) & set(UNTOUCHED[assignment]), row
        if not row["mistake"]:
            assert float(row["not_attempted_share"]) == pytest.approx(len(UNTOUCHED[assignment]) / len(submitted), abs=1e-4)
    for student in UNTOUCHED[assignment]:
        rows = json.loads((course / ".autograder" / assignment / "verdicts" / f"{student}.json").read_text())
        assert rows and all(r["outcome"] == "not-attempted" and r["points"] == 0 for r in rows), rows


def _export(course: Path, fmt: str) -> list[list[str]]:
    run = subprocess.run([sys.executable, "-m", "autograder", "export", "--course", str(course), "--format", fmt],
                         cwd=course, env=ENV, check=True, capture_output=True, text=True)
    return list(csv.reader(io.StringIO(run.stdout)))


def test_canvas_export_has_canvas_columns_and_the_gradebook_totals(graded):
    course, _ = graded
    table = _export(course, "canvas")
    assert table[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "01_line", "06_sampling"]
    assert table[1][0].strip() == "Points Possible"
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        maxima = [gb.find_assignment(a).max_score for a in ("01_line", "06_sampling")]
        totals = {(s.student_id, s.assignment.name): max(0.0, s.score - (s.late_submission_penalty or 0))
                  for a in ("01_line", "06_sampling") for s in gb.assignment_submissions(a)}
    assert [float(v) for v in table[1][5:]] == maxima
    rows = {r[2]: r for r in table[2:]}
    assert sorted(rows) == STUDENTS
    for student, row in rows.items():
        assert row[3] == student
        for assignment, cell in zip(("01_line", "06_sampling"), row[5:]):
            if student in MISSING[assignment]:
                assert cell == ""
            else:
                assert float(cell) == pytest.approx(totals[student, assignment])
    assert float(rows["s08"][5]) == maxima[0] and float(rows["s05"][5]) == 0.0
    assert float(rows[LATE[0]][5]) == 0.0 and totals[LATE] == 0.0  # full marks, all taken by the late penalty
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        late = gb.find_submission(LATE[1], LATE[0])
        assert late.score == maxima[0] and late.late_submission_penalty == maxima[0]


def test_long_csv_rows_match_the_verdicts(graded):
    course, _ = graded
    table = _export(course, "csv")
    assert table[0] == ["student", "assignment", "question", "points", "max", "outcome", "mistake"]
    expected = []
    for assignment in UNTOUCHED:
        book = _gradebook(course, assignment)
        for path in sorted((course / ".autograder" / assignment / "verdicts").glob("*.json")):
            for r in json.loads(path.read_text()):
                question = f"{r['notebook']}:{r['question']}"
                assert book[r["student"], question] == (r["points"], r["max"])
                expected.append([r["student"], assignment, question, f"{r['points']:g}", f"{r['max']:g}",
                                 r["outcome"], r["mistake"]])
    assert table[1:] == expected
    assert len(expected) == sum(len(_gradebook(course, a)) for a in UNTOUCHED)


def test_report_command_rewrites_the_report(graded):
    course, _ = graded
    html = course / "06_sampling_report.html"
    html.unlink()
    subprocess.run([sys.executable, "-m", "autograder", "report", "06_sampling", "--course", str(course),
                    "--no-progress"], cwd=course, env=ENV, check=True, capture_output=True)
    text = html.read_text()
    assert "s11" in text and "01_line" in text  # the course view: s11 is missing 01_line
    assert "<script" not in text and "http" not in text
    # planted mistakes are listed, so the "none" line stays out
    assert "<th>mistake</th>" in text and "None: every answer that lost points" not in text


@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium missing")
def test_report_html_renders_in_chromium_with_its_images(graded, tmp_path):
    from playwright.sync_api import sync_playwright

    course, _ = graded
    html = course / "01_line_report.html"
    errors = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: errors.append(f"request {r.url}") if not r.url.startswith(("file:", "data:"))
                else None)
        page.goto(html.as_uri())
        widths = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)")
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        browser.close()
    assert errors == []
    assert len(widths) == 2 and all(w > 100 for w in widths)  # the histograms and the course heat map
    assert (tmp_path / "report.png").stat().st_size > 10_000
