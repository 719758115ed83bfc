"""reference.transformer: positions, norms and GELU on hand-worked values and their invariants; the pre-LN block and
gpt_forward against a second implementation written here one token and one number at a time (math, not numpy);
the small GPT's promise, its copy beside the notebook, and every ValueError path."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from numcheck import arrays, raises_naming, rel_error
from reference.transformer import gelu, gpt_forward, layer_norm, positional_encoding, rms_norm, transformer_block

pytestmark = pytest.mark.filterwarnings("error")

ROOT = Path(__file__).resolve().parents[2]
SMALL = json.loads((ROOT / "reference" / "smallgpt.json").read_text())
KEYS = ("ln1_g", "ln1_b", "W_Q", "W_K", "W_V", "W_O", "ln2_g", "ln2_b", "W1", "b1", "W2", "b2")


def random_block(rng, d, d_ff):
    return {"ln1_g": rng.normal(1, 0.3, d), "ln1_b": rng.normal(0, 0.3, d), "W_Q": rng.normal(0, 0.5, (d, d)),
            "W_K": rng.normal(0, 0.5, (d, d)), "W_V": rng.normal(0, 0.5, (d, d)), "W_O": rng.normal(0, 0.5, (d, d)),
            "ln2_g": rng.normal(1, 0.3, d), "ln2_b": rng.normal(0, 0.3, d), "W1": rng.normal(0, 0.5, (d, d_ff)),
            "b1": rng.normal(0, 0.3, d_ff), "W2": rng.normal(0, 0.5, (d_ff, d)), "b2": rng.normal(0, 0.3, d)}


def random_params(rng, V=7, d=4, d_ff=6, L=2, T_max=6):
    return {"E": rng.normal(size=(V, d)), "P": rng.normal(size=(T_max, d)),
            "blocks": [random_block(rng, d, d_ff) for _ in range(L)], "lnf_g": rng.normal(1, 0.3, d),
            "lnf_b": rng.normal(0, 0.3, d)}


def small_params():
    params = {key: np.array(SMALL[key]) for key in ("E", "P", "lnf_g", "lnf_b")}
    params["blocks"] = [{key: np.array(value) for key, value in b.items()} for b in SMALL["blocks"]]
    return params


# ---- a second implementation: lists of floats, one token and one number at a time ----


def loop_layer_norm(x, g, b, eps=1e-5):
    mu = sum(x) / len(x)
    var = sum((v - mu) ** 2 for v in x) / len(x)
    return [(v - mu) / math.sqrt(var + eps) * gj + bj for v, gj, bj in zip(x, g, b)]


def loop_gelu(z):
    return 0.5 * z * (1 + math.tanh(math.sqrt(2 / math.pi) * (z + 0.044715 * z**3)))


def matvec(x, W):
    """Row vector x times W, as a list."""
    return [sum(x[i] * W[i][j] for i in range(len(x))) for j in range(len(W[0]))]


def loop_block(X, block, n_heads, causal=True):
    """The pre-LN block token by token: each token's query against each visible key, head by head."""
    b = {k: np.asarray(v).tolist() for k, v in block.items()}
    T, d_a = len(X), len(b["W_Q"][0])
    d_h = d_a // n_heads
    A = [loop_layer_norm(x, b["ln1_g"], b["ln1_b"]) for x in X]
    Q, K, V = ([matvec(a, b[W]) for a in A] for W in ("W_Q", "W_K", "W_V"))
    out = []
    for i in range(T):
        concat = []
        for h in range(n_heads):
            cols = range(h * d_h, (h + 1) * d_h)
            visible = range(i + 1) if causal else range(T)
            scores = [sum(Q[i][c] * K[j][c] for c in cols) / math.sqrt(d_h) for j in visible]
            top = max(scores)
            w = [math.exp(s - top) for s in scores]
            w = [v / sum(w) for v in w]
            concat += [sum(wj * V[j][c] for wj, j in zip(w, visible)) for c in cols]
        x1 = [x + o for x, o in zip(X[i], matvec(concat, b["W_O"]))]
        m = loop_layer_norm(x1, b["ln2_g"], b["ln2_b"])
        hidden = [loop_gelu(z + bias) for z, bias in zip(matvec(m, b["W1"]), b["b1"])]
        out.append([x + y + bias for x, y, bias in zip(x1, matvec(hidden, b["W2"]), b["b2"])])
    return out


def loop_forward(params, ids, n_heads, causal=True):
    E, P = np.asarray(params["E"]).tolist(), np.asarray(params["P"]).tolist()
    X = [[e + p for e, p in zip(E[i], P[t])] for t, i in enumerate(ids)]
    norms = [[math.sqrt(sum(v * v for v in x)) for x in X]]
    for block in params["blocks"]:
        X = loop_block(X, block, n_heads, causal)
        norms.append([math.sqrt(sum(v * v for v in x)) for x in X])
    g, b = np.asarray(params["lnf_g"]).tolist(), np.asarray(params["lnf_b"]).tolist()
    F = [loop_layer_norm(x, g, b) for x in X]
    return [[sum(f[j] * e[j] for j in range(len(f))) for e in E] for f in F], norms


# ---- positional_encoding ----


def test_positional_encoding_at_t_0_is_0_1_0_1():
    assert positional_encoding(1, 6).tolist() == [[0.0, 1.0, 0.0, 1.0, 0.0, 1.0]]


def test_positional_encoding_hand_worked():
    # d = 4: the pairs turn at 1 / 10000^(0/4) = 1 and 1 / 10000^(2/4) = 1/100
    PE = positional_encoding(3, 4)
    assert PE.shape == (3, 4) and PE.dtype == np.float64
    assert np.allclose(PE[1], [math.sin(1), math.cos(1), math.sin(0.01), math.cos(0.01)])
    assert np.allclose(PE[2], [math.sin(2), math.cos(2), math.sin(0.02), math.cos(0.02)])


def test_positional_encoding_odd_d_ends_with_a_sine():
    # d = 3: pairs at 10000^(0/3) and 10000^(2/3); the second pair has only its sine
    assert np.allclose(positional_encoding(2, 3)[1], [math.sin(1), math.cos(1), math.sin(1 / 10000 ** (2 / 3))])


def test_positional_encoding_of_no_positions_is_empty():
    assert positional_encoding(0, 4).shape == (0, 4)


@given(st.integers(0, 12), st.integers(1, 20))
def test_positional_encoding_matches_a_loop_and_each_pair_is_on_the_unit_circle(T, d):
    PE = positional_encoding(T, d)
    loop = [[(math.sin if j % 2 == 0 else math.cos)(t / 10000 ** ((j - j % 2) / d)) for j in range(d)]
            for t in range(T)]
    assert PE.shape == (T, d) and np.allclose(PE, np.array(loop).reshape(T, d))
    pairs = PE[:, : d - d % 2]
    assert np.allclose(pairs[:, 0::2] ** 2 + pairs[:, 1::2] ** 2, 1.0)


# ---- layer_norm and rms_norm ----


def test_layer_norm_of_1_2_3():
    # mean 2, population variance 2/3
    s = math.sqrt(2 / 3 + 1e-5)
    assert np.allclose(layer_norm(np.array([1.0, 2.0, 3.0]), np.ones(3), np.zeros(3)), [-1 / s, 0.0, 1 / s],
                       rtol=1e-12)


def test_layer_norm_scales_shifts_and_sends_a_constant_vector_to_beta():
    x = np.array([1.0, 2.0, 3.0])
    s = math.sqrt(2 / 3 + 1e-5)
    assert np.allclose(layer_norm(x, np.array([2.0, 1.0, -1.0]), np.array([0.5, 0.5, 0.5])),
                       [-2 / s + 0.5, 0.5, -1 / s + 0.5])
    assert np.array_equal(layer_norm(np.full(4, 7.0), np.ones(4), np.arange(4.0)), np.arange(4.0))
    assert np.allclose(layer_norm(x, np.ones(3), np.zeros(3), eps=1.0), [-1 / math.sqrt(5 / 3), 0, 1 / math.sqrt(5 / 3)])


@settings(max_examples=50)
@given(arrays(st.tuples(st.integers(1, 4), st.integers(2, 8)), -1e3, 1e3), st.floats(0.01, 1e4))
def test_layer_norm_gives_mean_0_and_variance_1_per_token_whatever_the_scale(x, scale):
    v = np.var(scale * x, axis=-1)
    assume(np.all(v > 1e-2))
    y = layer_norm(scale * x, np.ones(x.shape[-1]), np.zeros(x.shape[-1]))
    assert np.allclose(y.mean(axis=-1), 0, atol=1e-9)
    assert np.allclose(y.var(axis=-1), 1, atol=1e-3)
    assert np.allclose(y.var(axis=-1), v / (v + 1e-5), rtol=1e-9)  # eps keeps it just under 1


@given(arrays(st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 6)), -50, 50))
def test_layer_norm_matches_a_loop_on_each_row(x):
    d = x.shape[-1]
    g, b = np.linspace(0.5, 2, d), np.linspace(-1, 1, d)
    loop = [loop_layer_norm(row, g, b) for row in x.reshape(-1, d).tolist()]
    assert np.allclose(layer_norm(x, g, b), np.array(loop).reshape(x.shape))


def test_rms_norm_of_3_4():
    assert np.allclose(rms_norm(np.array([3.0, 4.0]), np.ones(2)), np.array([3.0, 4.0]) / math.sqrt(12.5 + 1e-5),
                       rtol=1e-12)


def test_rms_norm_does_not_centre_and_zeros_stay_zeros():
    X = np.array([[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]])
    expected = [[g / math.sqrt(1 + 1e-5) for g in (1.0, 2.0, 3.0)], [0.0, 0.0, 0.0]]
    assert np.allclose(rms_norm(X, np.array([1.0, 2.0, 3.0])), expected, rtol=1e-12)


@given(arrays(st.tuples(st.integers(1, 4), st.integers(1, 8)), -50, 50))
def test_rms_norm_matches_a_loop(x):
    d = x.shape[-1]
    g = np.linspace(0.5, 2, d)
    loop = [[v / math.sqrt(sum(u * u for u in row) / d + 1e-5) * gj for v, gj in zip(row, g)] for row in x.tolist()]
    assert np.allclose(rms_norm(x, g), loop)


# ---- gelu ----


def test_gelu_hand_worked():
    assert gelu(0.0) == 0.0
    assert gelu(1.0) == pytest.approx(0.5 * (1 + math.tanh(math.sqrt(2 / math.pi) * 1.044715)), rel=1e-14)
    assert isinstance(gelu(1.0), float) and isinstance(gelu(2), float)


def test_gelu_is_about_the_identity_far_right_and_0_far_left():
    assert gelu(10.0) == pytest.approx(10.0, rel=1e-15)
    assert abs(gelu(-10.0)) < 1e-12
    assert gelu(np.array([1e200, -1e200])).tolist() == [1e200, 0.0]  # z³ overflows, and no warning says so
    assert gelu(np.array([np.inf, -np.inf])).tolist() == [np.inf, 0.0]


@given(arrays(st.integers(1, 30), -6, 6))
def test_gelu_is_within_the_tanh_approximations_error_of_the_erf_form(z):
    exact = np.array([0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in z])
    assert np.max(np.abs(gelu(z) - exact)) < 1e-3


def test_gelu_keeps_shapes_and_passes_nan_through():
    z = np.arange(-6, 6, dtype=float).reshape(2, 3, 2)
    assert np.allclose(gelu(z), np.vectorize(loop_gelu)(z))
    assert gelu(np.arange(-2, 3)).dtype == np.float64
    out = gelu(np.array([np.nan, 1.0]))
    assert math.isnan(out[0]) and out[1] == pytest.approx(loop_gelu(1.0))


# ---- transformer_block ----


@pytest.mark.parametrize("T, d, d_ff, n_heads, causal", [(1, 4, 6, 2, True), (3, 4, 8, 1, True), (4, 6, 5, 3, False),
                                                         (5, 8, 16, 2, True), (2, 2, 3, 2, False)])
def test_block_equals_its_formula_written_as_a_loop(T, d, d_ff, n_heads, causal):
    rng = np.random.default_rng(T * 100 + d)
    X, block = rng.normal(size=(T, d)), random_block(rng, d, d_ff)
    out = transformer_block(X, block, n_heads, causal)
    assert out.shape == (T, d) and rel_error(out, loop_block(X.tolist(), block, n_heads, causal)) < 1e-9


def test_block_without_positions_and_mask_is_permutation_equivariant():
    rng = np.random.default_rng(1)
    X, block = rng.normal(size=(5, 6)), random_block(rng, 6, 12)
    perm = rng.permutation(5)
    assert np.allclose(transformer_block(X[perm], block, 3, causal=False), transformer_block(X, block, 3, causal=False)[perm])
    assert not np.allclose(transformer_block(X[perm], block, 3), transformer_block(X, block, 3)[perm])


def test_block_is_pre_ln_a_shift_of_every_feature_passes_straight_through():
    rng = np.random.default_rng(2)
    X, block = rng.normal(size=(4, 4)), random_block(rng, 4, 8)
    assert np.allclose(transformer_block(X + 3.0, block, 2), transformer_block(X, block, 2) + 3.0)


def test_block_with_silent_sublayers_returns_X_and_ignores_extra_keys():
    rng = np.random.default_rng(3)
    X, block = rng.normal(size=(3, 4)), random_block(rng, 4, 8)
    silent = {**block, "W_O": np.zeros((4, 4)), "W2": np.zeros((8, 4)), "b2": np.zeros(4), "note": "unused"}
    assert np.allclose(transformer_block(X, silent, 2), X)


# ---- gpt_forward ----


@pytest.mark.parametrize("L, ids, n_heads, causal", [(0, [1, 2], 1, True), (1, [3], 2, True), (2, [0, 6, 6, 2], 2, True),
                                                     (3, [5, 1, 4, 2, 0, 3], 1, False)])
def test_gpt_forward_matches_a_loop(L, ids, n_heads, causal):
    params = random_params(np.random.default_rng(L), L=L)
    logits, norms = gpt_forward(params, ids, n_heads, causal)
    loop_logits, loop_norms = loop_forward(params, ids, n_heads, causal)
    assert logits.shape == (len(ids), 7) and norms.shape == (L + 1, len(ids))
    assert rel_error(logits, loop_logits) < 1e-9 and rel_error(norms, loop_norms) < 1e-9


def test_gpt_forward_norms_row_0_is_before_any_block():
    params = random_params(np.random.default_rng(4))
    _, norms = gpt_forward(params, np.array([2, 0, 5]), 2)
    assert np.allclose(norms[0], np.linalg.norm(params["E"][[2, 0, 5]] + params["P"][:3], axis=1))


def test_gpt_forward_without_positions_and_mask_is_permutation_equivariant():
    params = random_params(np.random.default_rng(5))
    params["P"] = np.zeros_like(params["P"])
    ids, perm = np.array([1, 4, 0, 6, 2]), np.array([3, 0, 4, 2, 1])
    logits, norms = gpt_forward(params, ids, 2, causal=False)
    p_logits, p_norms = gpt_forward(params, ids[perm], 2, causal=False)
    assert np.allclose(p_logits, logits[perm]) and np.allclose(p_norms, norms[:, perm])


# ---- the small GPT ----


def test_small_gpt_continues_the_course_sentence_by_the_loop_forward_pass():
    params, vocab = small_params(), SMALL["VOCAB"]
    ids = [vocab.index(w) for w in "a fluffy blue creature".split()]
    for _ in range(4):
        logits, _ = loop_forward(params, ids, SMALL["n_heads"])
        ids.append(max(range(len(vocab)), key=lambda i: logits[-1][i]))
    assert " ".join(vocab[i] for i in ids) == "a fluffy blue creature roamed the forest ."


def test_small_gpt_shape_and_its_positions_are_the_sinusoids():
    params = small_params()
    V, d = params["E"].shape
    assert len(SMALL["VOCAB"]) == V == len(set(SMALL["VOCAB"])) and d == 16 and len(params["blocks"]) == 3
    assert all(set(b) == set(KEYS) for b in params["blocks"])
    assert np.allclose(params["P"], positional_encoding(*params["P"].shape), atol=1e-5)  # rounded to 5 digits
    assert (ROOT / "reference" / "smallgpt.json").stat().st_size < 300_000


def test_small_gpt_shipped_with_08_transformer_is_the_reference_model():
    shipped = json.loads((ROOT / "source" / "08_transformer" / "smallgpt.json").read_text())
    assert shipped == SMALL, "source/08_transformer/smallgpt.json differs from reference/smallgpt.json: copy it again"


# ---- every ValueError ----


def test_positional_encoding_rejects_bad_sizes():
    for T in (-1, 1.5, True):
        with raises_naming("T"):
            positional_encoding(T, 4)
    for d in (0, -2, 2.0):
        with raises_naming("d"):
            positional_encoding(3, d)


def test_norms_reject_bad_arguments():
    x = np.array([[1.0, 2.0, 3.0]])
    with raises_naming("x"):
        layer_norm(np.array([1.0, np.nan, 3.0]), np.ones(3), np.zeros(3))
    with raises_naming("x"):
        rms_norm(np.array([np.nan, 1.0]), np.ones(2))
    with raises_naming("x"):
        layer_norm(np.zeros((2, 0)), np.ones(0), np.zeros(0))
    with raises_naming("x"):
        layer_norm(3.0, np.ones(1), np.zeros(1))
    with raises_naming("x"):
        rms_norm(np.array(["a", "b"]), np.ones(2))
    with raises_naming("gamma"):
        layer_norm(x, np.ones(2), np.zeros(3))
    with raises_naming("beta"):
        layer_norm(x, np.ones(3), np.zeros((1, 3)))
    with raises_naming("gamma"):
        rms_norm(x, np.ones(4))
    for eps in (0.0, -1e-5, np.inf):
        with raises_naming("eps"):
            layer_norm(x, np.ones(3), np.zeros(3), eps=eps)
        with raises_naming("eps"):
            rms_norm(x, np.ones(3), eps=eps)


def test_gelu_rejects_non_numbers():
    with raises_naming("z"):
        gelu("1.0")
    with raises_naming("z"):
        gelu(np.array([1, None], dtype=object))


def test_transformer_block_rejects_bad_arguments():
    rng = np.random.default_rng(6)
    X, block = rng.normal(size=(3, 4)), random_block(rng, 4, 8)
    with raises_naming("X"):
        transformer_block(X[0], block, 2)
    with raises_naming("X"):
        transformer_block(np.zeros((0, 4)), block, 2)
    with raises_naming("X"):
        transformer_block(np.where(X > 0, np.nan, X), block, 2)
    with pytest.raises(ValueError, match="missing W1"):
        transformer_block(X, {k: v for k, v in block.items() if k != "W1"}, 2)
    with raises_naming("block"):
        transformer_block(X, [block], 2)
    with pytest.raises(ValueError, match=r"block\['W2'\]"):
        transformer_block(X, {**block, "W2": np.zeros((8, 5))}, 2)
    with pytest.raises(ValueError, match=r"block\['ln1_g'\]"):
        transformer_block(X, {**block, "ln1_g": np.ones(3)}, 2)
    with pytest.raises(ValueError, match=r"block\['W_Q'\]"):
        transformer_block(X, {**block, "W_Q": np.ones((5, 4))}, 2)
    with raises_naming("n_heads"):
        transformer_block(X, block, 3)
    with raises_naming("n_heads"):
        transformer_block(X, block, 0)
    with raises_naming("causal"):
        transformer_block(X, block, 2, causal="yes")


def test_gpt_forward_rejects_bad_arguments():
    params = random_params(np.random.default_rng(7))  # V = 7, d = 4, T_max = 6
    with raises_naming("ids"):
        gpt_forward(params, [0, 7], 2)
    with raises_naming("ids"):
        gpt_forward(params, [-1, 2], 2)
    with raises_naming("ids"):
        gpt_forward(params, [0, 1, 2, 3, 4, 5, 6], 2)  # T = 7 > T_max = 6
    with raises_naming("ids"):
        gpt_forward(params, [], 2)
    with raises_naming("ids"):
        gpt_forward(params, [1.0, 2.0], 2)
    with pytest.raises(ValueError, match="missing lnf_b"):
        gpt_forward({k: v for k, v in params.items() if k != "lnf_b"}, [1], 2)
    with raises_naming("params"):
        gpt_forward([params], [1], 2)
    with pytest.raises(ValueError, match=r"params\['P'\]"):
        gpt_forward({**params, "P": np.zeros((6, 5))}, [1], 2)
    with pytest.raises(ValueError, match=r"params\['lnf_g'\]"):
        gpt_forward({**params, "lnf_g": np.ones(3)}, [1], 2)
    with pytest.raises(ValueError, match=r"params\['blocks'\]"):
        gpt_forward({**params, "blocks": params["blocks"][0]}, [1], 2)
    with pytest.raises(ValueError, match=r"params\['blocks'\]\[1\] must have the keys"):
        gpt_forward({**params, "blocks": [params["blocks"][0], {"W1": np.zeros((4, 4))}]}, [1], 2)
    with raises_naming("n_heads"):
        gpt_forward(params, [1], 3)
    with raises_naming("causal"):
        gpt_forward(params, [1], 2, causal=None)
