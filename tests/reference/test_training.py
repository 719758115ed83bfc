"""reference.training: the loss by hand and at ±1e4; every backward step and the whole tiny model's gradient
against central differences (reference.training.numerical_gradient, itself checked on functions with known
derivatives); Adam's first step and a second step worked by hand; a seeded training run from a random start that
gives the notebook's promise; the notebook's copy of the tiny model; every ValueError path."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numcheck import raises_naming
from reference import training
from reference.block import forward
from reference.tinygpt import MODEL, VOCAB, encode

pytestmark = pytest.mark.filterwarnings("error")

ROOT = Path(__file__).resolve().parents[2]
GRAD_TOL = 1e-6


def grad_error(analytic, numeric):
    """‖a − n‖ / max(1e-4, ‖a‖ + ‖n‖): relative to the gradient's size as a whole. Central differences carry a
    round-off of ~1e-16 / eps ≈ 1e-11 per entry, so a gradient smaller than 1e-4 overall (a model already sure of
    the target) is compared absolutely, to 1e-10, instead of relatively."""
    a, n = np.asarray(analytic, float), np.asarray(numeric, float)
    return float(np.linalg.norm(a - n) / max(1e-4, np.linalg.norm(a) + np.linalg.norm(n)))


def random_model(rng, V, d, d_ff, scale=0.7):
    return {"E": rng.normal(0, scale, (V, d)), "W1": rng.normal(0, scale, (d, d_ff)), "b1": rng.normal(0, scale, d_ff),
            "W2": rng.normal(0, scale, (d_ff, d)), "b2": rng.normal(0, scale, d)}


def prompt_with_repeat(rng, V, T):
    ids = [int(i) for i in rng.integers(0, V, size=T)]
    if T > 1:
        ids[0] = ids[-1]  # the asking token also appears earlier: its embedding gets two gradients
    return ids


seeds = st.integers(0, 2**32 - 1)


# ---- log_softmax, cross_entropy ----


def test_log_softmax_by_hand():
    lse = math.log(math.exp(1) + math.exp(2) + math.exp(3))
    assert np.allclose(training.log_softmax(np.array([1.0, 2.0, 3.0])), [1 - lse, 2 - lse, 3 - lse], rtol=1e-12)


def test_log_softmax_is_finite_at_plus_minus_1e4():
    out = training.log_softmax(np.array([1e4, 0.0, -1e4]))  # filterwarnings("error"): no overflow warning either
    assert np.array_equal(out, [0.0, -1e4, -2e4])
    out = training.log_softmax(np.array([[1e4, 1e4], [-1e4, -1e4]]))
    assert np.allclose(out, -math.log(2))


def test_log_softmax_keeps_minus_inf():
    out = training.log_softmax(np.array([0.0, -np.inf, 0.0]))
    assert out[1] == -np.inf and np.allclose(out[[0, 2]], -math.log(2))


@given(seeds)
def test_log_softmax_exponentiates_to_one_along_axis_and_ignores_a_shift(seed):
    rng = np.random.default_rng(seed)
    z = rng.normal(0, 5, size=(3, 4, 5))
    for axis in (0, 1, -1):
        out = training.log_softmax(z, axis=axis)
        assert np.allclose(np.exp(out).sum(axis=axis), 1.0)
        assert np.allclose(training.log_softmax(z + 7.5, axis=axis), out)


def test_cross_entropy_by_hand():
    assert training.cross_entropy(np.zeros(4), 3) == pytest.approx(math.log(4))
    # [1, 2, 3] with target 2: -log(e³ / (e + e² + e³)) = log(1 + e⁻¹ + e⁻²)
    assert training.cross_entropy(np.array([1.0, 2.0, 3.0]), 2) == pytest.approx(math.log(1 + math.exp(-1) + math.exp(-2)))
    batch = training.cross_entropy(np.array([[0.0, 0.0], [0.0, math.log(3)]]), np.array([0, 1]))
    assert batch == pytest.approx((math.log(2) + math.log(4 / 3)) / 2)  # the mean of the two rows
    assert training.cross_entropy(np.array([1e4, 0.0, -1e4]), 2) == pytest.approx(2e4)
    assert isinstance(training.cross_entropy(np.zeros(3), 0), float)


@settings(max_examples=30)
@given(seeds, st.integers(1, 5), st.integers(2, 7))
def test_cross_entropy_grad_is_its_gradient(seed, N, V):
    rng = np.random.default_rng(seed)
    z = rng.normal(0, 2, size=(N, V))
    t = rng.integers(0, V, size=N)
    numeric = training.numerical_gradient(lambda x: training.cross_entropy(x, t), z)
    assert grad_error(training.cross_entropy_grad(z, t), numeric) <= GRAD_TOL
    single = training.cross_entropy_grad(z[0], int(t[0]))
    assert single.shape == (V,) and np.allclose(single, N * training.cross_entropy_grad(z, t)[0])


# ---- the backward steps, each through L = Σ c · output, whose gradient at the output is c ----


@settings(max_examples=20)
@given(seeds, st.integers(1, 6), st.integers(1, 4))
def test_unembed_backward(seed, V, d):
    rng = np.random.default_rng(seed)
    h2, E, c = rng.normal(size=d), rng.normal(size=(V, d)), rng.normal(size=V)
    dh2, dE = training.unembed_backward(h2, E, c)
    assert grad_error(dh2, training.numerical_gradient(lambda x: float(c @ (x @ E.T)), h2)) <= GRAD_TOL
    assert grad_error(dE, training.numerical_gradient(lambda x: float(c @ (h2 @ x.T)), E)) <= GRAD_TOL


@settings(max_examples=20)
@given(seeds, st.integers(1, 4), st.integers(1, 6))
def test_mlp_backward(seed, d, d_ff):
    rng = np.random.default_rng(seed)
    m = random_model(rng, 2, d, d_ff)
    h1, c = rng.normal(size=d), rng.normal(size=d)
    weights = {"h1": h1, "W1": m["W1"], "b1": m["b1"], "W2": m["W2"], "b2": m["b2"]}

    def L(_):
        w = weights
        return float(c @ (w["h1"] + np.maximum(w["h1"] @ w["W1"] + w["b1"], 0) @ w["W2"] + w["b2"]))

    grads = training.mlp_backward(h1, m["W1"], m["b1"], m["W2"], m["b2"], c)
    for name, g in zip(("h1", "W1", "b1", "W2", "b2"), grads):
        assert grad_error(g, training.numerical_gradient(L, weights[name])) <= GRAD_TOL, name


def test_mlp_backward_passes_nothing_through_an_off_unit():
    # z = [1, -1]: unit 1 is off, so b1's gradient there is 0 and dh1 is the residual plus unit 0's path
    dh1, dW1, db1, dW2, db2 = training.mlp_backward(np.array([1.0, 1.0]), np.array([[1.0, 0.0], [0.0, -1.0]]),
                                                    np.zeros(2), np.eye(2), np.zeros(2), np.array([1.0, 2.0]))
    assert np.array_equal(db1, [1.0, 0.0]) and np.array_equal(dh1, [2.0, 2.0])
    assert np.array_equal(dW2, [[1.0, 2.0], [0.0, 0.0]]) and np.array_equal(db2, [1.0, 2.0])


@settings(max_examples=20)
@given(seeds, st.integers(1, 6), st.integers(1, 4))
def test_attention_backward(seed, T, d):
    rng = np.random.default_rng(seed)
    X, c = rng.normal(size=(T, d)), rng.normal(size=d)

    def L(x):
        q = x[-1]
        s = x @ q
        a = np.exp(s - s.max()) / np.exp(s - s.max()).sum()
        return float(c @ (q + a @ x))

    assert grad_error(training.attention_backward(X, c), training.numerical_gradient(L, X)) <= GRAD_TOL


def test_attention_backward_by_hand():
    # one token: h1 = x + 1 · x = 2x, so dX = 2 dh1
    assert np.allclose(training.attention_backward(np.array([[0.5, -1.0]]), np.array([1.0, 2.0])), [[2.0, 4.0]])


@settings(max_examples=20)
@given(seeds, st.integers(1, 7), st.integers(1, 3), st.integers(1, 5))
def test_embedding_backward_adds_up_repeated_ids(seed, T, d, V):
    rng = np.random.default_rng(seed)
    ids, dX = prompt_with_repeat(rng, V, T), rng.normal(size=(T, d))
    E = rng.normal(size=(V, d))
    numeric = training.numerical_gradient(lambda x: float(np.sum(dX * x[ids])), E)
    assert grad_error(training.embedding_backward(ids, dX, V), numeric) <= GRAD_TOL


def test_embedding_backward_by_hand():
    dE = training.embedding_backward([1, 3, 1], np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), 4)
    assert np.array_equal(dE, [[0, 0], [6, 8], [0, 0], [3, 4]])


# ---- the whole tiny model ----


@settings(max_examples=25, deadline=None)
@given(seeds, st.integers(2, 8), st.integers(1, 4), st.integers(1, 6), st.integers(1, 6))
def test_tiny_loss_and_grads_against_central_differences(seed, V, d, d_ff, T):
    rng = np.random.default_rng(seed)
    model = random_model(rng, V, d, d_ff)
    ids, target = prompt_with_repeat(rng, V, T), int(rng.integers(0, V))
    loss, grads = training.tiny_loss_and_grads(model, ids, target)
    assert loss == pytest.approx(training.cross_entropy(forward(model, ids), target), rel=1e-12)
    assert set(grads) == {"E", "W1", "b1", "W2", "b2"}
    for name, W in model.items():
        assert grads[name].shape == W.shape
        numeric = training.numerical_gradient(lambda _: training.cross_entropy(forward(model, ids), target), W, 1e-5)
        assert grad_error(grads[name], numeric) <= GRAD_TOL, name


def test_tiny_loss_and_grads_on_the_tiny_model_with_a_repeat():
    model = {k: np.array(v) for k, v in MODEL.items()}
    ids, target = encode("the forest the"), VOCAB.index("forest")
    _, grads = training.tiny_loss_and_grads(model, ids, target)
    numeric = training.numerical_gradient(lambda _: training.cross_entropy(forward(model, ids), target), model["E"])
    assert grad_error(grads["E"], numeric) <= GRAD_TOL
    assert np.array_equal(model["E"], MODEL["E"])  # restored exactly


# ---- numerical_gradient, relative_error ----


def test_numerical_gradient_on_known_derivatives():
    x = np.array([[0.3, -1.2], [2.0, 0.7]])
    assert np.allclose(training.numerical_gradient(lambda v: float(np.sum(v**3)), x), 3 * x**2, atol=1e-8)
    g = training.numerical_gradient(lambda v: float(np.sin(v).sum()), x, eps=1e-3)
    assert np.allclose(g, np.cos(x), atol=1e-6)  # central: error ~eps²/6, far below a one-sided difference's ~eps/2
    assert not np.allclose(g, (np.sin(x + 1e-3) - np.sin(x)) / 1e-3, atol=1e-6)


def test_numerical_gradient_perturbs_x_itself_and_restores_it_exactly():
    w = np.array([0.1, -0.01, 0.7])
    original = w.copy()
    g = training.numerical_gradient(lambda _: float(np.sum(np.exp(w))), w, eps=1e-3)  # reads w, not its argument
    assert np.allclose(g, np.exp(original), rtol=1e-6)
    assert np.array_equal(w, original)
    assert -0.01 + 1e-3 - 1e-3 != -0.01  # so that restoring by arithmetic would show


def test_relative_error_by_hand():
    assert training.relative_error(np.array([1.0, 3.0]), np.array([1.0, 1.0])) == pytest.approx(0.5)
    assert training.relative_error(np.zeros(2), np.zeros(2)) == 0.0


# ---- Adam ----


@given(seeds, st.floats(1e-4, 1.0))
def test_adam_first_step_is_minus_lr_sign_g(seed, lr):
    rng = np.random.default_rng(seed)
    params = {"W": rng.normal(size=(2, 3)), "b": rng.normal(size=3)}
    grads = {"W": rng.normal(size=(2, 3)), "b": rng.normal(size=3) * 100}
    before = {k: v.copy() for k, v in params.items()}
    new, state = training.adam_step(params, grads, None, lr=lr)
    for k in params:
        # m̂ = g and v̂ = g², so the step is -lr g / (|g| + eps): -lr sign(g) to within lr · eps / |g|
        assert np.allclose(new[k] - before[k], -lr * np.sign(grads[k]), rtol=0, atol=lr * 1e-8 / np.abs(grads[k]).min() + 1e-15)
        assert np.array_equal(params[k], before[k])
    assert state["t"] == 1


def test_adam_second_step_by_hand():
    p, g = {"w": np.array([1.0])}, {"w": np.array([2.0])}
    p1, s1 = training.adam_step(p, g, None, lr=0.1)
    assert p1["w"][0] == 1.0 - 0.1 * 2.0 / (2.0 + 1e-8)  # m̂ = g = 2, v̂ = g² = 4
    p2, s2 = training.adam_step(p1, {"w": np.array([-1.0])}, s1, lr=0.1)
    m = 0.9 * 0.2 + 0.1 * -1.0  # 0.08
    v = 0.999 * 0.004 + 0.001 * 1.0
    step = 0.1 * (m / (1 - 0.81)) / (math.sqrt(v / (1 - 0.999**2)) + 1e-8)
    assert s2["t"] == 2 and s2["m"]["w"][0] == pytest.approx(m) and s2["v"]["w"][0] == pytest.approx(v)
    assert p2["w"][0] == pytest.approx(p1["w"][0] - step, rel=1e-12)
    assert s1["m"]["w"][0] == pytest.approx(0.2)  # the first state was not changed by the second step


# ---- training ----


TARGETS = [  # the notebook's examples: the fit script's targets, as counts out of 10
    ("a fluffy blue creature", {"roamed": 8, "wandered": 1, "slept": 1}),
    ("a fluffy blue creature roamed", {"the": 9, "a": 1}),
    ("a fluffy blue creature roamed the", {"forest": 7, "meadow": 2, "river": 1}),
    ("a fluffy blue creature roamed the forest", {".": 10}),
]


def notebook_start(seed=0, scale=0.5):
    """The notebook's random_model(0)."""
    rng = np.random.default_rng(seed)
    V, d, d_ff = len(VOCAB), 3, 6
    return {"E": rng.normal(0, scale, (V, d)), "W1": rng.normal(0, scale, (d, d_ff)), "b1": np.zeros(d_ff),
            "W2": rng.normal(0, scale, (d_ff, d)), "b2": np.zeros(d)}


def test_training_from_the_random_start_gives_the_promised_sentence():
    examples = [(encode(c), VOCAB.index(w)) for c, counts in TARGETS for w, n in counts.items() for _ in range(n)]
    start = notebook_start()
    model, losses = training.train_tiny(start, examples, 200, lr=0.1)
    assert len(losses) == 200 and all(isinstance(l, float) for l in losses)
    assert losses[0] == pytest.approx(np.mean([training.cross_entropy(forward(start, i), t) for i, t in examples]))
    assert losses[-1] <= losses[0] / 2
    ids = encode("a fluffy blue creature")
    for _ in range(4):
        ids.append(int(np.argmax(forward(model, ids))))
    assert " ".join(VOCAB[i] for i in ids) == "a fluffy blue creature roamed the forest ."
    z = forward(model, encode("a fluffy blue creature"))
    p_roamed = math.exp(training.log_softmax(z)[VOCAB.index("roamed")])
    assert 0.75 <= p_roamed <= 0.85  # the data's proportion is 0.8


def test_train_tiny_is_adam_on_the_mean_gradient_and_leaves_its_input_alone():
    rng = np.random.default_rng(5)
    model = random_model(rng, 5, 2, 3)
    before = {k: v.copy() for k, v in model.items()}
    examples = [([0, 1, 0], 2), ([3], 4), ([4, 4], 0)]
    trained, losses = training.train_tiny(model, examples, 3, lr=0.05)
    params, state = dict(model), None
    for step in range(3):
        pairs = [training.tiny_loss_and_grads(params, i, t) for i, t in examples]
        assert losses[step] == pytest.approx(np.mean([l for l, _ in pairs]), rel=1e-12)
        mean = {k: np.mean([g[k] for _, g in pairs], axis=0) for k in params}
        params, state = training.adam_step(params, mean, state, lr=0.05)
    assert all(np.allclose(trained[k], params[k], rtol=1e-12) for k in params)
    assert all(np.array_equal(model[k], before[k]) for k in model)
    same, none = training.train_tiny(model, examples, 0)
    assert none == [] and all(np.array_equal(same[k], model[k]) for k in model)


def test_the_notebook_ships_the_tiny_model():
    shipped = json.loads((ROOT / "source" / "09_training" / "tinygpt.json").read_text())
    assert shipped == json.loads((ROOT / "reference" / "tinygpt.json").read_text())


# ---- ValueError paths ----


def test_value_errors():
    m = {k: np.array(v) for k, v in MODEL.items()}
    with raises_naming("logits"):
        training.log_softmax(np.array([1.0, np.nan]))
    with raises_naming("logits"):
        training.log_softmax(np.array([-np.inf, -np.inf]))
    with raises_naming("logits"):
        training.log_softmax(np.array([np.inf, 0.0]))
    with raises_naming("logits"):
        training.cross_entropy(np.array([[[1.0]]]), 0)
    with raises_naming("targets"):
        training.cross_entropy(np.array([1.0, 2.0]), 2)
    with raises_naming("targets"):
        training.cross_entropy(np.array([[1.0, 2.0]]), np.array([0, 1]))
    with raises_naming("targets"):
        training.cross_entropy_grad(np.array([1.0, 2.0]), np.array([0, 1]))
    with raises_naming("targets"):
        training.cross_entropy(np.array([1.0, 2.0]), 1.0)
    with raises_naming("E"):
        training.unembed_backward(np.zeros(2), np.zeros((3, 4)), np.zeros(3))
    with raises_naming("dlogits"):
        training.unembed_backward(np.zeros(2), np.zeros((3, 2)), np.zeros(4))
    with raises_naming("W2"):
        training.mlp_backward(np.zeros(2), np.zeros((2, 3)), np.zeros(3), np.zeros((2, 2)), np.zeros(2), np.zeros(2))
    with raises_naming("dh2"):
        training.mlp_backward(np.zeros(2), np.zeros((2, 3)), np.zeros(3), np.zeros((3, 2)), np.zeros(2), np.zeros(3))
    with raises_naming("X"):
        training.attention_backward(np.zeros((0, 2)), np.zeros(2))
    with raises_naming("dh1"):
        training.attention_backward(np.zeros((2, 2)), np.zeros(3))
    with raises_naming("ids"):
        training.embedding_backward([0, 4], np.zeros((2, 2)), 4)
    with raises_naming("dX"):
        training.embedding_backward([0, 1], np.zeros((3, 2)), 4)
    with raises_naming("V"):
        training.embedding_backward([0], np.zeros((1, 2)), 0)
    with raises_naming("model"):
        training.tiny_loss_and_grads({"E": m["E"]}, [0], 1)
    with raises_naming("ids"):
        training.tiny_loss_and_grads(m, [0, 14], 1)
    with raises_naming("ids"):
        training.tiny_loss_and_grads(m, [], 1)
    with raises_naming("target"):
        training.tiny_loss_and_grads(m, [0], 14)
    with raises_naming("f"):
        training.numerical_gradient("not a function", np.zeros(2))
    with raises_naming("x"):
        training.numerical_gradient(lambda v: 0.0, np.zeros(2, dtype=int))
    with raises_naming("x"):
        training.numerical_gradient(lambda v: 0.0, [0.0, 1.0])
    with raises_naming("eps"):
        training.numerical_gradient(lambda v: 0.0, np.zeros(2), eps=0)
    with raises_naming("a"):
        training.relative_error(np.zeros(2), np.zeros(3))
    p, g = {"w": np.zeros(2)}, {"w": np.zeros(2)}
    with raises_naming("params"):
        training.adam_step({}, g, None)
    with raises_naming("grads"):
        training.adam_step(p, {"v": np.zeros(2)}, None)
    with raises_naming("grads['w']"):
        training.adam_step(p, {"w": np.zeros(3)}, None)
    with raises_naming("lr"):
        training.adam_step(p, g, None, lr=-1.0)
    with raises_naming("beta1"):
        training.adam_step(p, g, None, beta1=1.0)
    with raises_naming("beta2"):
        training.adam_step(p, g, None, beta2=-0.1)
    with raises_naming("eps"):
        training.adam_step(p, g, None, eps=0.0)
    with raises_naming("state"):
        training.adam_step(p, g, {"m": {}})
    with raises_naming("state['t']"):
        training.adam_step(p, g, {"m": p, "v": p, "t": 0})
    with raises_naming("state['m']"):
        training.adam_step(p, g, {"m": {}, "v": p, "t": 1})
    with raises_naming("steps"):
        training.train_tiny(m, [([0], 1)], -1)
    with raises_naming("lr"):
        training.train_tiny(m, [([0], 1)], 1, lr=0)
    with raises_naming("examples"):
        training.train_tiny(m, [], 1)
    with raises_naming("examples[0]"):
        training.train_tiny(m, [[0, 1, 2]], 1)
    with raises_naming("examples[1] target"):
        training.train_tiny(m, [([0], 1), ([0], 99)], 1)
