"""reference.attention: softmax, scores, masks and (multi-head) attention, checked by their invariants, by
scipy.special.softmax and by loops written here (a second implementation of each head and each batch entry)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import softmax as gold_softmax

from numcheck import arrays, floats, raises_naming
from reference import attention as att

pytestmark = pytest.mark.filterwarnings("error")

MATRICES = st.tuples(st.integers(1, 5), st.integers(1, 6))


def random(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


def gold_attention(Q, K, V, mask=None, scale=True):
    """Attention for one (T, d) sequence, written plainly: scores, mask, softmax row by row, weighted sum."""
    scores = Q @ K.T / (np.sqrt(Q.shape[1]) if scale else 1.0)
    if mask is not None:
        scores = scores + mask
    weights = np.array([gold_softmax(row) for row in scores])
    return weights @ V, weights


# ---- softmax ----


@given(arrays(st.tuples(st.integers(1, 4), st.integers(1, 6)), -50, 50))
def test_softmax_rows_sum_to_1_and_match_scipy(x):
    p = att.softmax(x)
    assert p.shape == x.shape and np.all(p >= 0)
    assert np.allclose(p.sum(axis=-1), 1)
    assert np.allclose(p, gold_softmax(x, axis=-1))


@given(arrays(st.tuples(st.integers(1, 4), st.integers(1, 6)), -50, 50), floats(-1e3, 1e3))
def test_softmax_ignores_a_constant_shift(x, c):
    assert np.allclose(att.softmax(x + c), att.softmax(x), atol=1e-12)


@given(arrays(st.tuples(st.integers(1, 4), st.integers(1, 6)), -1e4, 1e4))
def test_softmax_is_stable_for_logits_of_1e4(x):
    p = att.softmax(x)  # a naive exp(1e4) overflows (and warnings are errors here)
    assert np.all(np.isfinite(p)) and np.allclose(p.sum(axis=-1), 1)


def test_softmax_by_hand():
    assert att.softmax([1e4, -1e4]).tolist() == [1.0, 0.0]
    assert att.softmax([0.0, np.log(3.0)]) == pytest.approx([0.25, 0.75])
    assert att.softmax([2.0, -np.inf, 2.0]).tolist() == [0.5, 0.0, 0.5]  # -inf gets exactly 0


def test_softmax_leaves_its_argument_alone():
    x = np.array([[1.0, 2.0], [3.0, -np.inf]])
    before = x.copy()
    att.softmax(x)
    assert np.array_equal(x, before)


@given(arrays(st.tuples(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4)), -20, 20), st.integers(-3, 2))
def test_softmax_along_any_axis(x, axis):
    assert np.allclose(att.softmax(x, axis=axis), gold_softmax(x, axis=axis))


# ---- embed, scores, mask ----


def test_embed_is_a_row_lookup():
    E = random(5, 3)
    assert np.array_equal(att.embed(E, [4, 0, 4]), E[[4, 0, 4]])
    assert np.array_equal(att.embed(E, 2), E[2])
    assert att.embed(E, np.array([[1, 2], [3, 4]])).shape == (2, 2, 3)
    assert att.embed(E, []).shape == (0, 3)


@given(MATRICES.flatmap(lambda s: st.tuples(arrays(s), arrays((s[0] + 1, s[1])))), st.booleans())
def test_attention_scores_are_scaled_dot_products(QK, scale):
    Q, K = QK
    expected = np.array([[q @ k for k in K] for q in Q]) / (np.sqrt(Q.shape[1]) if scale else 1)
    assert np.allclose(att.attention_scores(Q, K, scale=scale), expected)


def test_attention_scores_default_scale_is_sqrt_dk():
    Q, K = random(2, 4), random(3, 4, seed=1)
    assert np.allclose(att.attention_scores(Q, K), Q @ K.T / 2)


def test_causal_mask_by_hand():
    inf = np.inf
    assert att.causal_mask(3).tolist() == [[0, -inf, -inf], [0, 0, -inf], [0, 0, 0]]
    assert att.causal_mask(1).tolist() == [[0]]
    assert att.causal_mask(0).shape == (0, 0)


# ---- attention ----


@settings(max_examples=50)
@given(st.integers(1, 6), st.integers(1, 4), st.integers(0, 10**6), st.booleans())
def test_attention_matches_the_plain_formula(T, d, seed, causal):
    Q, K, V = random(T, d, seed=seed), random(T, d, seed=seed + 1), random(T, d + 1, seed=seed + 2)
    mask = att.causal_mask(T) if causal else None
    out, weights = att.attention(Q, K, V, mask=mask)
    gold_out, gold_weights = gold_attention(Q, K, V, mask)
    assert np.allclose(out, gold_out) and np.allclose(weights, gold_weights)
    assert np.allclose(weights.sum(axis=-1), 1)


@settings(max_examples=50)
@given(st.integers(1, 6), st.integers(1, 4), st.integers(0, 10**6), st.randoms(use_true_random=False))
def test_attention_without_mask_is_permutation_equivariant(T, d, seed, rnd):
    """Shuffling the tokens shuffles the outputs the same way: attention alone knows no order."""
    Q, K, V = random(T, d, seed=seed), random(T, d, seed=seed + 1), random(T, d, seed=seed + 2)
    perm = np.array(rnd.sample(range(T), T))
    out, weights = att.attention(Q, K, V)
    out_p, weights_p = att.attention(Q[perm], K[perm], V[perm])
    assert np.allclose(out_p, out[perm])
    assert np.allclose(weights_p, weights[perm][:, perm])


@settings(max_examples=50)
@given(st.integers(2, 7), st.integers(1, 4), st.integers(0, 10**6), st.data())
def test_causal_rows_ignore_later_tokens(T, d, seed, data):
    """Changing the tokens after position i leaves rows 0..i of a causal self-attention unchanged."""
    i = data.draw(st.integers(0, T - 2))
    X = random(T, d, seed=seed)
    W = [random(d, d, seed=seed + k) for k in (1, 2, 3)]
    Y = X.copy()
    Y[i + 1:] = random(T - i - 1, d, seed=seed + 4)
    out_x, w_x = att.self_attention(X, *W, causal=True)
    out_y, w_y = att.self_attention(Y, *W, causal=True)
    assert np.allclose(out_x[: i + 1], out_y[: i + 1]) and np.allclose(w_x[: i + 1], w_y[: i + 1])
    assert np.all(np.triu(w_x, k=1) == 0)  # no weight at all on a later position


def test_attention_over_leading_batch_axes_equals_a_loop():
    Q, K, V = random(2, 3, 5, 4), random(2, 3, 6, 4, seed=1), random(2, 3, 6, 2, seed=2)
    out, weights = att.attention(Q, K, V)
    assert out.shape == (2, 3, 5, 2) and weights.shape == (2, 3, 5, 6)
    for idx in np.ndindex(2, 3):
        gold_out, gold_weights = gold_attention(Q[idx], K[idx], V[idx])
        assert np.allclose(out[idx], gold_out) and np.allclose(weights[idx], gold_weights)
    out_b, _ = att.attention(Q, K[0], V[0])  # one K, V shared across the batch (broadcasting)
    assert np.allclose(out_b[1, 2], gold_attention(Q[1, 2], K[0, 2], V[0, 2])[0])


def test_a_mask_hides_positions_and_a_full_row_mask_is_an_error():
    Q, K, V = random(2, 3), random(2, 3, seed=1), random(2, 3, seed=2)
    out, weights = att.attention(Q, K, V, mask=np.array([[0, -np.inf], [0, 0]]))
    assert weights[0].tolist() == [1.0, 0.0] and np.allclose(out[0], V[0])
    with raises_naming("mask"):
        att.attention(Q, K, V, mask=np.array([[-np.inf, -np.inf], [0, 0]]))


def test_self_attention_projects_then_attends():
    X, W_Q, W_K, W_V = random(4, 3), random(3, 2, seed=1), random(3, 2, seed=2), random(3, 5, seed=3)
    for causal in (False, True):
        for scale in (False, True):
            out, weights = att.self_attention(X, W_Q, W_K, W_V, causal=causal, scale=scale)
            gold = gold_attention(X @ W_Q, X @ W_K, X @ W_V, att.causal_mask(4) if causal else None, scale)
            assert np.allclose(out, gold[0]) and np.allclose(weights, gold[1])


# ---- multi-head attention ----


def per_head_loop(X, W_Q, W_K, W_V, W_O, n_heads, causal):
    """Multi-head attention the slow, obvious way: one head at a time on its slice of columns, then concatenate."""
    T, d = X.shape[0], W_Q.shape[1]
    d_h = d // n_heads
    outs, weights = [], []
    for h in range(n_heads):
        cols = slice(h * d_h, (h + 1) * d_h)
        out, w = gold_attention(X @ W_Q[:, cols], X @ W_K[:, cols], X @ W_V[:, cols],
                                att.causal_mask(T) if causal else None)
        outs.append(out)
        weights.append(w)
    return np.concatenate(outs, axis=1) @ W_O, np.stack(weights)


@settings(max_examples=50)
@given(st.integers(1, 6), st.sampled_from([(1, 4), (2, 4), (4, 4), (3, 6), (2, 8)]), st.integers(1, 5),
       st.integers(0, 10**6), st.booleans())
def test_multi_head_attention_equals_a_per_head_loop(T, heads_d, d_model, seed, causal):
    n_heads, d = heads_d
    X = random(T, d_model, seed=seed)
    W_Q, W_K, W_V = (random(d_model, d, seed=seed + k) for k in (1, 2, 3))
    W_O = random(d, 3, seed=seed + 4)
    out, weights = att.multi_head_attention(X, W_Q, W_K, W_V, W_O, n_heads, causal=causal)
    gold_out, gold_weights = per_head_loop(X, W_Q, W_K, W_V, W_O, n_heads, causal)
    assert out.shape == (T, 3) and weights.shape == (n_heads, T, T)
    assert np.allclose(out, gold_out) and np.allclose(weights, gold_weights)


def test_one_head_is_self_attention_then_W_O():
    X, W = random(5, 4), [random(4, 4, seed=k) for k in (1, 2, 3, 4)]
    out, weights = att.multi_head_attention(X, *W, n_heads=1)
    out_1, weights_1 = att.self_attention(X, *W[:3])
    assert np.allclose(out, out_1 @ W[3]) and np.allclose(weights[0], weights_1)


def test_multi_head_attention_over_a_batch_axis():
    X, W = random(3, 5, 4), [random(4, 4, seed=k) for k in (1, 2, 3, 4)]
    out, weights = att.multi_head_attention(X, *W, n_heads=2, causal=True)
    assert out.shape == (3, 5, 4) and weights.shape == (3, 2, 5, 5)
    for b in range(3):
        gold_out, gold_weights = per_head_loop(X[b], *W, 2, True)
        assert np.allclose(out[b], gold_out) and np.allclose(weights[b], gold_weights)


# ---- invalid arguments ----

E = random(5, 3)
Q, K, V = random(4, 3), random(6, 3, seed=1), random(6, 2, seed=2)
X, W = random(4, 6), random(6, 6, seed=3)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: att.softmax([np.nan, 1.0]), "x"),
        (lambda: att.softmax([-np.inf, -np.inf]), "x"),
        (lambda: att.softmax([[0.0, 1.0], [-np.inf, -np.inf]]), "x"),
        (lambda: att.softmax([np.inf, 1.0]), "x"),
        (lambda: att.softmax([]), "x"),
        (lambda: att.softmax(1.0), "x"),
        (lambda: att.softmax([1.0, 2.0], axis=1), "axis"),
        (lambda: att.embed(E, [5]), "ids"),
        (lambda: att.embed(E, [-1]), "ids"),
        (lambda: att.embed(E, [1.0]), "ids"),
        (lambda: att.embed(E[0], [0]), "E"),
        (lambda: att.embed([[np.nan]], [0]), "E"),
        (lambda: att.attention_scores(Q, K[:, :2]), "Q"),
        (lambda: att.attention_scores(Q[0], K), "Q"),
        (lambda: att.attention_scores(Q, K, scale="yes"), "scale"),
        (lambda: att.causal_mask(-1), "T"),
        (lambda: att.causal_mask(2.5), "T"),
        (lambda: att.attention(Q, K, V[:5]), "V"),
        (lambda: att.attention(Q, K, V.ravel()), "V"),
        (lambda: att.attention(Q, np.full_like(K, np.nan), V), "K"),
        (lambda: att.attention(Q, K, V, mask=np.zeros((4, 5))), "mask"),
        (lambda: att.attention(Q, K, V, mask=np.full((4, 6), np.nan)), "mask"),
        (lambda: att.attention(Q, K, V, mask=np.full((4, 6), np.inf)), "mask"),
        (lambda: att.attention(random(2, 4, 3), random(3, 6, 3), random(3, 6, 2)), "Q"),
        (lambda: att.self_attention(X, W[:5], W, W), "W_Q"),
        (lambda: att.self_attention(X, W, W[:, :5], W), "W_K"),
        (lambda: att.self_attention(X, W, W, W, causal=None), "causal"),
        (lambda: att.self_attention(X[0], W, W, W), "X"),
        (lambda: att.multi_head_attention(X, W, W, W, W, 4), "n_heads"),
        (lambda: att.multi_head_attention(X, W, W, W, W, 0), "n_heads"),
        (lambda: att.multi_head_attention(X, W, W, W, W, 2.0), "n_heads"),
        (lambda: att.multi_head_attention(X, W, W, W, W[:4], 2), "W_O"),
        (lambda: att.multi_head_attention(X, W, W, W[:, :4], W, 2), "W_V"),
    ],
)
def test_invalid_arguments_name_the_argument(call, name):
    with raises_naming(name):
        call()


def test_messages_say_what_was_expected_and_what_arrived():
    with pytest.raises(ValueError, match=r"n_heads must divide the projection width d = 6; got n_heads = 4"):
        att.multi_head_attention(X, W, W, W, W, 4)
    with pytest.raises(ValueError, match=r"ids must be token ids in \[0, 5\) \(the vocabulary\); got 7"):
        att.embed(E, [0, 7])
