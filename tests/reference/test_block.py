"""reference.block: the MLP block and the tied unembedding on hand-worked inputs, the forward pass against a
second implementation written here with plain loops, and the ValueError paths."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numcheck import raises_naming, rel_error
from reference.block import forward, mlp_block, unembed

pytestmark = pytest.mark.filterwarnings("error")

# d = 2, d_ff = 3, worked by hand below
W1 = np.array([[1.0, -1.0, 0.0], [0.0, 2.0, 1.0]])
b1 = np.array([0.0, 0.0, -1.0])
W2 = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
b2 = np.array([0.5, -0.5])


def test_mlp_block_hand_worked():
    # h = [1, 1]: z = [1, 1, 0], relu(z) = [1, 1, 0], relu(z) W2 = [1, 1], + b2 = [1.5, 0.5], + h = [2.5, 1.5]
    assert np.allclose(mlp_block(np.array([1.0, 1.0]), W1, b1, W2, b2), [2.5, 1.5])
    # h = [-1, 2]: z = [-1, 5, 1], relu(z) = [0, 5, 1], relu(z) W2 = [1, 6], + b2 = [1.5, 5.5], + h = [0.5, 7.5]
    assert np.allclose(mlp_block(np.array([-1.0, 2.0]), W1, b1, W2, b2), [0.5, 7.5])


def test_mlp_block_rows_are_independent():
    h = np.array([[1.0, 1.0], [-1.0, 2.0]])
    assert np.allclose(mlp_block(h, W1, b1, W2, b2), [[2.5, 1.5], [0.5, 7.5]])


def test_mlp_block_dead_neurons_leave_only_the_residual_and_bias():
    h = np.array([0.3, -0.7])
    assert np.allclose(mlp_block(h, W1, np.full(3, -100.0), W2, b2), h + b2)


def test_unembed_hand_worked():
    E = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, -1.0]])
    assert np.allclose(unembed(np.array([2.0, 3.0]), E), [2.0, 3.0, -1.0])
    assert np.allclose(unembed(np.array([[2.0, 3.0], [1.0, 1.0]]), E), [[2.0, 3.0, -1.0], [1.0, 1.0, 0.0]])


def loop_forward(model, ids):
    """A second forward pass, one number at a time, straight from the walkthrough."""
    E, W1, b1, W2, b2 = (model[k].tolist() for k in ("E", "W1", "b1", "W2", "b2"))
    d, d_ff = len(E[0]), len(b1)
    X = [E[i] for i in ids]
    q = X[-1]
    scores = [sum(x[j] * q[j] for j in range(d)) for x in X]
    top = max(scores)
    weights = [math.exp(s - top) for s in scores]
    a = [w / sum(weights) for w in weights]
    h1 = [q[j] + sum(a[t] * X[t][j] for t in range(len(X))) for j in range(d)]
    hidden = [max(0.0, sum(h1[j] * W1[j][k] for j in range(d)) + b1[k]) for k in range(d_ff)]
    h2 = [h1[j] + sum(hidden[k] * W2[k][j] for k in range(d_ff)) + b2[j] for j in range(d)]
    return [sum(h2[j] * e[j] for j in range(d)) for e in E]


def random_model(rng, V, d, d_ff):
    shapes = {"E": (V, d), "W1": (d, d_ff), "b1": (d_ff,), "W2": (d_ff, d), "b2": (d,)}
    return {name: rng.normal(size=shape) for name, shape in shapes.items()}


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 8), st.integers(1, 4), st.integers(1, 7), st.integers(1, 6))
def test_forward_matches_loop_implementation(seed, V, d, d_ff, T):
    rng = np.random.default_rng(seed)
    model = random_model(rng, V, d, d_ff)
    ids = rng.integers(0, V, T).tolist()
    assert rel_error(forward(model, ids), loop_forward(model, ids)) < 1e-9


def test_forward_single_token_attends_to_itself():
    # one token: a = [1], h1 = 2 x, so the logits are mlp_block(2 x) E^T
    model = {"E": np.array([[1.0, 1.0], [0.0, 2.0], [1.0, 0.0]]), "W1": W1, "b1": b1, "W2": W2, "b2": b2}
    # x = E[0] = [1, 1], h1 = [2, 2]: z = [2, 2, 1], relu W2 = [3, 3], h2 = [2, 2] + [3, 3] + b2 = [5.5, 4.5]
    assert np.allclose(forward(model, [0]), [10.0, 9.0, 5.5])


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 5), st.integers(1, 4), st.integers(1, 7))
def test_mlp_block_random_matches_loops(seed, T, d, d_ff):
    rng = np.random.default_rng(seed)
    h, W1r, b1r, W2r, b2r = (rng.normal(size=s) for s in [(T, d), (d, d_ff), (d_ff,), (d_ff, d), (d,)])
    expected = [
        [row[j] + sum(max(0.0, sum(row[i] * W1r[i, k] for i in range(d)) + b1r[k]) * W2r[k, j] for k in range(d_ff))
         + b2r[j] for j in range(d)]
        for row in h
    ]
    assert rel_error(mlp_block(h, W1r, b1r, W2r, b2r), expected) < 1e-9


@pytest.mark.parametrize(
    "args, name",
    [
        ((np.ones(3), W1, b1, W2, b2), "W1"),  # h has d = 3, W1 has 2 rows
        ((np.ones(2), W1, np.ones(2), W2, b2), "b1"),
        ((np.ones(2), W1, b1, W2.T, b2), "W2"),
        ((np.ones(2), W1, b1, W2, np.ones(3)), "b2"),
        ((np.ones((2, 2, 2)), W1, b1, W2, b2), "h"),
        ((np.array([1.0, np.nan]), W1, b1, W2, b2), "h"),
        ((np.ones(2), np.ones(2), b1, W2, b2), "W1"),
    ],
)
def test_mlp_block_rejects(args, name):
    with raises_naming(name):
        mlp_block(*args)


def test_unembed_rejects():
    with raises_naming("E"):
        unembed(np.ones(2), np.ones((4, 3)))
    with raises_naming("h"):
        unembed(np.ones((1, 1, 2)), np.ones((4, 2)))


def good_model():
    return random_model(np.random.default_rng(1), 5, 3, 6)


@pytest.mark.parametrize("ids", [[], [5], [-1], [0.5], [[0, 1]], "ab"])
def test_forward_rejects_bad_ids(ids):
    with raises_naming("ids"):
        forward(good_model(), ids)


@pytest.mark.parametrize(
    "change, name",
    [
        (lambda m: m.pop("W2"), "W2"),
        (lambda m: m.update(b1=np.ones(5)), "b1"),
        (lambda m: m.update(E=np.ones((5, 2))), "W1"),  # E's width d = 2 no longer fits W1 (3, 6)
        (lambda m: m.update(E=np.ones(5)), "E"),
        (lambda m: m.update(W1=np.full((3, 6), np.nan)), "W1"),
    ],
)
def test_forward_rejects_bad_model(change, name):
    model = good_model()
    change(model)
    with raises_naming(name):
        forward(model, [0, 1])


def test_forward_rejects_non_dict_model():
    with raises_naming("model"):
        forward([np.ones((5, 3))], [0])
