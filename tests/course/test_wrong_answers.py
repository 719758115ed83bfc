"""The seed sweep: every plausible wrong answer in tests/course/wrong/<rung>.py loses exactly its own function's
points on each of 20 seeds, and every source notebook scores full marks on each of those seeds.

Each wrong definition replaces the solution cell of its function in the source notebook; the notebook then runs
once through the real pipeline (restore, isolated execution, probes) with every seed's cases, and each seed is
judged on its own (`tests/course/sweep.py`). A grade that depends on the seed is not a grade: one seed on which a
wrong answer keeps its points, or the solution loses some, fails the test.
"""

from concurrent.futures import ThreadPoolExecutor

import pytest

from .helpers import (assignment_of_rung, assignments, load_source, load_wrong, question_cells, run_check,
                      substitute, write_submission)
from .sweep import describe, sweep_notebook

SEEDS = range(20)
MIN_WRONG = 4

VARIANTS = [(rung, function, description, code)
            for rung, wrong in load_wrong().items() for function, answers in wrong.items()
            for description, code in answers]


def test_every_graded_function_has_four_wrong_answers():
    for rung, wrong in load_wrong().items():
        nb = load_source(assignment_of_rung(rung))
        for function in (g[5:] for g in question_cells(nb)):
            count = len(wrong.get(function, []))
            assert count >= MIN_WRONG, f"{rung}: {function} has {count} wrong answers, needs {MIN_WRONG}"


@pytest.fixture(scope="module")
def swept(pool, tmp_path_factory):
    """{variant key or assignment: sweep scores}, every variant and every source swept concurrently on the pool."""

    def sweep(job):
        key, assignment, nb = job
        folder = tmp_path_factory.mktemp("sweep")
        return key, sweep_notebook(write_submission(nb, folder, assignment), SEEDS, pool)

    jobs = [(a, a, load_source(a)) for a in assignments()]
    for rung, function, description, code in VARIANTS:
        assignment = assignment_of_rung(rung)
        jobs.append(((rung, function, description), assignment, substitute(load_source(assignment), function, code)))
    with ThreadPoolExecutor(max_workers=pool.workers) as threads:
        return dict(threads.map(sweep, jobs))


@pytest.mark.parametrize("assignment", assignments())
def test_solution_scores_full_marks_on_every_seed(swept, assignment):
    for seed, row in swept[assignment].items():
        lost = {gid: reason for gid, (points, reason) in row.items()
                if points < question_cells(load_source(assignment))[gid]}
        assert not lost, f"{assignment}, seed {seed}: the solution lost points: {lost}"


@pytest.mark.parametrize("rung, function, description", [v[:3] for v in VARIANTS],
                         ids=[f"{v[0]}-{v[1]}-{v[2]}" for v in VARIANTS])
def test_wrong_answer_loses_only_its_points_on_every_seed(swept, rung, function, description):
    scores = swept[(rung, function, description)]
    target = f"test_{function}"
    kept = [seed for seed, row in scores.items() if row[target][0] > 0]
    assert not kept, f"{function} ({description}) kept its points on seeds {kept}: {describe(scores, target)}"
    maximum = question_cells(load_source(assignment_of_rung(rung)))
    for seed, row in scores.items():
        lost = {gid: reason for gid, (points, reason) in row.items() if gid != target and points < maximum[gid]}
        assert not lost, f"{function} ({description}), seed {seed}: also cost other questions: {lost}"


@pytest.mark.parametrize("assignment, function", [("06_sampling", "top_p_filter"), ("07_rlhf", "kl_divergence")])
def test_sweep_judges_each_seed_as_check_does(pool, tmp_path, assignment, function):
    """The sweep's verdict for a seed equals `check --seed` on that seed, for a wrong answer and for the solution."""
    rung = assignment.split("_", 1)[1]
    description, code = load_wrong()[rung][function][0]
    for name, nb in (("solution", load_source(assignment)), ("wrong", substitute(load_source(assignment), function, code))):
        path = write_submission(nb, tmp_path / name, assignment)
        swept = sweep_notebook(path, [3, 11], pool)
        for seed in (3, 11):
            checked = run_check(path, seed=seed, pool=pool)
            assert {gid: points for gid, (points, _) in swept[seed].items()} == checked.points, (name, seed)
            assert swept[seed][f"test_{function}"][1] == next(
                q.reason for q in checked.questions if q.grade_id == f"test_{function}"), (name, seed)
