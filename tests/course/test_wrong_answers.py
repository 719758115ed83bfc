"""Every plausible wrong answer in tests/course/wrong/<rung>.py loses exactly its own function's points.

Each wrong definition replaces the solution cell of its function in the source notebook; the notebook is then
checked with the real pipeline (restore, probe, isolated execution, judge). The function's test cell must score 0
and every other test cell full points — so the hidden tests catch the mistake, and only there.
"""

from concurrent.futures import ThreadPoolExecutor

import pytest

from .helpers import assignment_of_rung, load_source, load_wrong, run_check, substitute, question_cells, write_submission

VARIANTS = [(rung, function, description, code)
            for rung, wrong in load_wrong().items() for function, answers in wrong.items()
            for description, code in answers]


def test_every_graded_function_has_two_wrong_answers():
    for rung, wrong in load_wrong().items():
        nb = load_source(assignment_of_rung(rung))
        for function in (g[5:] for g in question_cells(nb)):
            assert len(wrong.get(function, [])) >= 2, f"{rung}: {function} needs at least two wrong answers"


_RESULTS: dict = {}  # (rung, function, description) -> CheckResult, filled one rung at a time


@pytest.fixture
def graded(pool, tmp_path_factory):
    """A lookup that checks all variants of a rung concurrently on the shared pool, the first time it is asked."""

    def check(variant):
        rung, function, description, code = variant
        assignment = assignment_of_rung(rung)
        nb = substitute(load_source(assignment), function, code)
        folder = tmp_path_factory.mktemp(f"{rung}-{function}")
        return variant[:3], run_check(write_submission(nb, folder, assignment), pool=pool)

    def lookup(key):
        if key not in _RESULTS:
            with ThreadPoolExecutor(max_workers=pool.workers) as threads:
                _RESULTS.update(threads.map(check, [v for v in VARIANTS if v[0] == key[0]]))
        return _RESULTS[key]

    return lookup


@pytest.mark.parametrize("rung, function, description", [v[:3] for v in VARIANTS],
                         ids=[f"{v[0]}-{v[1]}-{v[2]}" for v in VARIANTS])
def test_wrong_answer_loses_only_its_points(graded, rung, function, description):
    result = graded((rung, function, description))
    points = {q.grade_id: q for q in result.questions}
    target = points.pop(f"test_{function}")
    assert target.points == 0, f"{function} ({description}) kept its points: {target.reason}"
    lost = {gid: q.reason for gid, q in points.items() if not q.passed}
    assert not lost, f"{function} ({description}) also cost other questions: {lost}"
