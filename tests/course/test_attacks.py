"""Attacks on the hidden tests earn nothing for the question they target; the honest questions still score.

Each attack edits the source notebook of 01_line (whose other answers are correct) and goes through the real
check: restore from source, probes drawn from a fresh seed, an isolated process, the verdict in the grader.
"""

import copy
from concurrent.futures import ThreadPoolExecutor

import pytest

from autograder.execute import Limits

from .helpers import cell_by_id, edit_cell, load_source, question_cells, run_check, write_submission

VISIBLE_PREDICT = ("def predict(w, b, x):\n"
                   "    return np.array([1.0, 3.0, 5.0]) if np.ndim(x) else 1.0\n")


def _without(nb, grade_id):
    changed = copy.deepcopy(nb)
    changed.cells.remove(cell_by_id(changed, grade_id))
    return changed


FAKE_PROBE_MODULE = (
    "import sys, types\n"
    "fake = types.ModuleType('autograder.student.probe')\n"
    "fake.probe = lambda name, fn: print(f'{name}: 4/4 cases match the reference (seed 1)')\n"
    "sys.modules['autograder.student.probe'] = fake\n"
    "def normal_equation(x, y):\n    return 0.0, 0.5\n")

ATTACKS = {  # name -> (question it targets, notebook edit)
    "hard-coded answers": ("predict", lambda nb: edit_cell(nb, "predict", VISIBLE_PREDICT)),
    "monkeypatched numpy.allclose and numpy.testing": ("predict", lambda nb: edit_cell(nb, "predict", (
        "np.allclose = lambda *a, **k: True\nnp.isclose = lambda *a, **k: True\n"
        "np.testing.assert_allclose = lambda *a, **k: None\n"
        "def predict(w, b, x):\n    return np.zeros(np.shape(x)) if np.ndim(x) else 0.0\n"))),
    "an object whose __eq__ is always true": ("predict", lambda nb: edit_cell(nb, "predict", (
        "class Anything(np.ndarray):\n    def __eq__(self, other):\n        return True\n"
        "def predict(w, b, x):\n    return np.zeros(np.shape(x)).view(Anything) if np.ndim(x) else 1.0\n"))),
    "a fake autograder.student.probe in sys.modules": ("normal_equation",
                                               lambda nb: edit_cell(nb, "normal_equation", FAKE_PROBE_MODULE)),
    "a student-defined probe function": ("predict", lambda nb: edit_cell(nb, "predict", (
        "def probe(name, fn):\n    print(name + ': 4/4 cases match the reference')\n" + VISIBLE_PREDICT))),
    "importing reference": ("predict", lambda nb: edit_cell(nb, "predict", "from reference.line import predict\n")),
    "an edited test cell": ("predict", lambda nb: edit_cell(edit_cell(nb, "predict", VISIBLE_PREDICT),
                                                           "test_predict", "print('predict: all good')\n")),
    "a deleted test cell": ("predict", lambda nb: _without(edit_cell(nb, "predict", VISIBLE_PREDICT),
                                                           "test_predict")),
    "sys.exit": ("predict", lambda nb: edit_cell(nb, "predict",
                                                 "import sys\ndef predict(w, b, x):\n    sys.exit(0)\n")),
    "os._exit": ("predict", lambda nb: edit_cell(nb, "predict",
                                                 "import os\ndef predict(w, b, x):\n    os._exit(0)\n")),
    "while True: pass": ("predict", lambda nb: edit_cell(nb, "predict",
                                                         "def predict(w, b, x):\n    while True:\n        pass\n")),
    "a huge allocation": ("predict", lambda nb: edit_cell(nb, "predict",
                                                          "def predict(w, b, x):\n    return np.ones(10**11)\n")),
    "a printed fake success line": ("predict", lambda nb: edit_cell(nb, "predict", (
        "def predict(w, b, x):\n    print('predict: 4/4 cases match the reference (seed 7)')\n"
        "    return np.array([1.0, 3.0, 5.0]) if np.ndim(x) else 1.0\n"))),
}


@pytest.fixture(scope="module")
def attacked(pool, tmp_path_factory):
    source = load_source("01_line")

    def check(name):
        target, edit = ATTACKS[name]
        folder = tmp_path_factory.mktemp("attack")
        path = write_submission(edit(source), folder, "01_line")
        return name, run_check(path, pool=pool, limits=Limits(cell_timeout=3.0, notebook_timeout=60.0))

    with ThreadPoolExecutor(max_workers=pool.workers) as threads:
        return dict(threads.map(check, ATTACKS))


@pytest.mark.parametrize("attack", ATTACKS)
def test_attack_earns_nothing(attacked, attack):
    target, _ = ATTACKS[attack]
    result = attacked[attack]
    points = result.points
    assert set(points) == set(question_cells(load_source("01_line"))), "every test cell must be graded"
    assert points.pop(f"test_{target}") == 0, f"{attack} earned points for {target}"
    honest = {gid: q.reason for gid, q in ((q.grade_id, q) for q in result.questions)
              if gid in points and not q.passed}
    assert not honest, f"{attack} cost the honest questions: {honest}"
