"""Messages a learner can act on (issue 11): each test changes a source notebook, runs the real `check` on it and
reads the question's row — the named cause first, then the failing case, no line of the table past 160 characters.
"""

import io

import pytest

from autograder.check import LINE_WIDTH, render
from autograder.execute import Limits

from .helpers import assignments, graded_functions, load_source, run_check, substitute, write_submission

WRONG_PREDICT = "def predict(w, b, x):\n    return w * np.asarray(x, dtype=float) - b\n"

# a correct step, but written with the student's own predict: it is right exactly when predict is
STEP_THROUGH_PREDICT = """def train_line_step(w, b, x, y, lr=0.05):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    r = 2 * (predict(w, b, x) - y)
    return float(w - lr * np.mean(r * x)), float(b - lr * np.mean(r))
"""

# self-attention as the notebook asks, except for the transpose: K.T reverses every axis of a batched K
SELF_ATTENTION_WITH_K_T = """def self_attention(X, W_Q, W_K, W_V, causal=False, scale=True):
    Q, K, V = X @ W_Q, X @ W_K, X @ W_V
    scores = Q @ K.T
    if scale:
        scores = scores / np.sqrt(K.shape[-1])
    if causal:
        T = X.shape[-2]
        scores = scores + np.triu(np.full((T, T), -np.inf), k=1)
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights = weights / weights.sum(axis=-1, keepdims=True)
    return weights @ V, weights
"""


def checked(tmp_path, pool, assignment, changes: dict[str, str], **kwargs):
    """`check` on the source notebook of `assignment` with the answer cells in `changes` replaced."""
    nb = load_source(assignment)
    for function, code in changes.items():
        nb = substitute(nb, function, code)
    return run_check(write_submission(nb, tmp_path, assignment), pool=pool, **kwargs)


def reasons(result) -> dict[str, str]:
    return {q.grade_id: q.reason for q in result.questions}


def test_a_syntax_error_is_reported_with_its_line_on_its_own_row(tmp_path, pool):
    result = checked(tmp_path, pool, "01_line", {"predict": "def predict(w, b, x):\n    return (w * x + b\n"})
    reason = reasons(result)["test_predict"]
    assert reason.startswith("your answer cell for predict did not run: SyntaxError"), reason
    assert "(line 2)" in reason and "NameError" not in reason, reason
    assert [q.grade_id for q in result.questions if not q.passed] == ["test_predict"]


def test_an_error_at_definition_time_is_reported_as_itself(tmp_path, pool):
    broken = "x_max = DATA[:, 0].max()\nscale = 1 / undefined_name\ndef mse(y_hat, y):\n    return 0.0\n"
    reason = reasons(checked(tmp_path, pool, "01_line", {"mse": broken}))["test_mse"]
    assert "your answer cell for mse did not run: NameError: name 'undefined_name'" in reason, reason
    assert "(line 2)" in reason, reason


def test_a_batch_axis_case_says_what_is_special_and_how_to_transpose(tmp_path, pool):
    result = checked(tmp_path, pool, "04_attention", {"self_attention": SELF_ATTENTION_WITH_K_T}, seed=5)
    reason = reasons(result)["test_self_attention"]
    assert reason.startswith("self_attention: this case has a leading batch axis (X has shape (2, "), reason
    assert "np.swapaxes(K, -1, -2)" in reason and "not K.T" in reason, reason
    # the raw numpy error is still there, after the diagnosis, for whoever wants it
    assert reason.index("not K.T") < reason.index("raised ValueError: matmul"), reason


def test_a_function_failing_through_another_names_that_one(tmp_path, pool):
    result = checked(tmp_path, pool, "01_line", {"predict": WRONG_PREDICT, "train_line_step": STEP_THROUGH_PREDICT})
    rows = reasons(result)
    assert rows["test_train_line_step"].startswith(
        "train_line_step calls your predict, which is wrong: fix predict first"), rows["test_train_line_step"]
    assert "calls your" not in rows["test_predict"] and "calls your" not in rows["test_line_gradients"]


def test_the_diagnosis_comes_before_the_case(tmp_path, pool):
    ties_to_the_higher_index = """def top_p_filter(probs, p):
    order = np.argsort(probs)[::-1]
    kept = np.zeros_like(probs)
    n = min(int(np.searchsorted(np.cumsum(probs[order]), p)) + 1, probs.size)
    kept[order[:n]] = probs[order[:n]]
    return kept / kept.sum()
"""
    result = checked(tmp_path, pool, "06_sampling", {"top_p_filter": ties_to_the_higher_index})
    reason = reasons(result)["test_top_p_filter"]
    diagnosis, _, rest = reason.partition(" — top_p_filter(probs=")
    assert diagnosis.startswith("top_p_filter: ") and rest, reason
    assert " returned " in rest and rest.index(" returned ") < rest.index("Check:"), reason


def garbage(function: str) -> str:
    """A definition of `function` that returns a big, wrong array whatever it is given."""
    return f"def {function}(*args, **kwargs):\n    return np.arange(400.0).reshape(20, 20) * 1234.5678\n"


def refusal(function: str) -> str:
    return f"def {function}(*args, **kwargs):\n    raise NotImplementedError('{function} is not written yet ' * 20)\n"


@pytest.mark.parametrize("answer", [garbage, refusal], ids=["garbage", "refusal"])
@pytest.mark.parametrize("assignment", assignments())
def test_no_line_of_the_table_is_longer_than_160_when_everything_fails(tmp_path, pool, assignment, answer):
    functions = graded_functions(load_source(assignment))
    result = checked(tmp_path, pool, assignment, {f: answer(f) for f in functions})
    assert all(q.points == 0 for q in result.questions if q.grade_id[5:] in functions), render(result)
    too_long = [line for line in render(result).splitlines() if len(line) > LINE_WIDTH]
    assert not too_long, "\n".join(too_long)


def test_a_loop_that_never_ends_is_named_on_its_row(tmp_path, pool):
    looping = "def line_gradients(w, b, x, y):\n    while True:\n        pass\n"
    result = checked(tmp_path, pool, "01_line", {"line_gradients": looping}, limits=Limits(cell_timeout=1.5))
    reason = reasons(result)["test_line_gradients"]
    assert reason == "line_gradients did not finish within 1.5 s: look for a loop that never ends", reason
    assert [q.grade_id for q in result.questions if not q.passed] == ["test_line_gradients"]


def test_check_reports_the_question_under_way(tmp_path, pool):
    progress = io.StringIO()
    checked(tmp_path, pool, "01_line", {}, progress=progress)
    first = f"checking predict (1/{len(graded_functions(load_source('01_line')))})"
    assert progress.getvalue().splitlines()[0] == first, progress.getvalue()
