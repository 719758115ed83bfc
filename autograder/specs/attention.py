"""Rung 4 (04_attention): embeddings, softmax, scores, the causal mask, attention, self- and multi-head attention.

Each compare first checks the student's result against the reference; on a mismatch it recomputes the common
mistakes on the same inputs and, when the student's result equals one of them, names that mistake
(`autograder.spec.naming_mistakes`). `stable_softmax` is shared with rung 5's specs.
"""

import numpy as np

from autograder.spec import Case, Spec, arguments, compare_default, naming_mistakes
from reference import attention

def _naive_softmax(x, axis=-1):
    e = np.exp(x)
    return e / e.sum(axis=axis, keepdims=True)


def stable_softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _swap(A):
    return np.swapaxes(A, -1, -2)


# ---- embed ----


def _embed_cases(rng):
    E = np.arange(12.0).reshape(4, 3)  # row i is [3i, 3i+1, 3i+2]: easy to read in a message
    cases = [Case((E, np.array([2, 0]))), Case((E, np.array([1, 1, 3]))), Case((E, 3)), Case((E, np.array([1])))]
    cases.append(Case((E, np.array([[0, 1], [3, 2]]))))  # a batch of two sequences: ids (2, 2) -> (2, 2, 3)
    for V, d, shape in ((7, 3, (5,)), (10, 4, (2, 6)), (5, 5, (4,))):
        cases.append(Case((rng.normal(size=(V, d)), rng.integers(0, V, size=shape))))
    return cases


def _embed_mistakes(case):
    E, ids = arguments(case, "E", "ids")
    ids = np.asarray(ids)
    yield "took columns of E (E[:, ids]) instead of rows: each word's vector is its row E[id]", lambda: E[:, ids].T
    yield "took columns of E (E[:, ids]) instead of rows: each word's vector is its row E[id]", lambda: E[:, ids]
    if ids.ndim == 0:
        yield ("a single id is one vector of shape (d,), not (1, d): E[ids] keeps the shape of ids",
               lambda: E[np.atleast_1d(ids)])
    yield ("flattened ids: the result must keep the shape of ids and add one axis of length d",
           lambda: E[np.ravel(ids)])
    yield ("np.take(E, ids) without axis=0 reads E as one flat list of numbers: take whole rows, E[ids]",
           lambda: np.take(E, ids))


# ---- softmax ----


def _softmax_cases(rng):
    cases = [
        Case((np.array([0.0, 0.0]),)),
        Case((np.array([1.0, 2.0, 3.0]),)),
        Case((np.array([1000.0, 1001.0, 1002.0]),)),  # exp(1000) overflows unless the max is subtracted first
        Case((np.array([0.0, -np.inf, 1.0]),)),  # a masked entry gets probability 0
        Case((np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 5.0]]),)),  # 2-D: each row sums to 1
        Case((np.array([[0.0, 1.0], [1000.0, 1001.0]]),)),  # rows of very different scale: each row's own max
        Case((np.array([[1, 3], [2, 2]]),)),  # integer logits: the result is float all the same
        Case((np.array([[1.0, 2.0], [3.0, 5.0], [0.0, 0.0]]),), {"axis": 0}),  # each column sums to 1
        Case((np.array([[0.0, 1000.0], [1.0, 1001.0]]),), {"axis": 0}),  # columns of very different scale
        Case((np.array([[0.0, -np.inf, -np.inf], [2.0, 1.0, -np.inf], [-1.0, 0.5, 3.0]]),)),  # causal-masked scores
    ]
    cases.append(Case((rng.normal(scale=3.0, size=(4, 6)),)))
    cases.append(Case((rng.normal(scale=3.0, size=(2, 3, 5)),)))
    cases.append(Case((rng.normal(scale=3.0, size=(3, 4)),), {"axis": 0}))
    cases.append(Case((rng.normal(scale=3.0, size=7) + 800.0,)))
    return cases


def _softmax_mistakes(case):
    x, axis = arguments(case, "x", "axis", axis=-1)
    other = 0 if axis in (-1, x.ndim - 1) else -1
    yield ("NaN: exp of a large logit overflows; subtract the max along the axis before np.exp",
           lambda: _naive_softmax(x, axis))
    yield ("the probabilities sum to 1 along the wrong axis: use axis=axis with keepdims=True",
           lambda: stable_softmax(x, other))
    yield ("divided by the sum of the whole array: sum along the axis only (keepdims=True)",
           lambda: np.exp(x - x.max()) / np.exp(x - x.max()).sum())
    yield ("subtracted the max of the whole array: a row far below it underflows to 0 / 0 = NaN; subtract each "
           "row's own max (np.max(x, axis=axis, keepdims=True))",
           lambda: np.exp(x - x.max()) / np.exp(x - x.max()).sum(axis=axis, keepdims=True))
    yield ("subtracted the min instead of the max: exp(x - min) overflows, and a -inf entry gives NaN",
           lambda: np.exp(x - x.min(axis=axis, keepdims=True)) / np.exp(x - x.min(axis=axis, keepdims=True)).sum(
               axis=axis, keepdims=True))


def _compare_softmax(expected, got, case):
    reason = naming_mistakes(_softmax_mistakes)(expected, got, case)
    unnamed = reason is not None and reason == compare_default(expected, got, case)  # no mistake matched
    if unnamed and isinstance(got, np.ndarray) and got.shape == expected.shape and np.isnan(got).any():
        return "returned NaN: subtract the max along the axis before np.exp so large logits do not overflow"
    return reason


# ---- attention_scores ----


def _scores_cases(rng):
    Q = np.array([[1.0, 0.0, 1.0, 0.0], [0.0, 2.0, 0.0, 0.0]])
    K = np.array([[1.0, 1.0, 1.0, 1.0], [2.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 3.0]])
    cases = [Case((Q, K)), Case((Q, K), {"scale": False}), Case((Q, Q)), Case((Q[:1], K))]  # T_q = 1 too
    cases.append(Case((np.array([[1, 2], [0, 3]]), np.array([[2, 0], [1, 1], [0, 1]]))))  # integer Q and K
    batch_Q = np.stack([Q, 2 * Q, -Q])  # leading batch axis: (3, 2, 4) against (3, 3, 4), with B, T and d apart
    cases.append(Case((batch_Q, np.stack([K, K[::-1], 0.5 * K]))))
    for shape_q, shape_k, scale in (((3, 2), (3, 2), True), ((4, 8), (5, 8), True), ((2, 3, 4), (2, 3, 4), True),
                                    ((5, 3), (5, 3), False), ((2, 4, 6), (2, 2, 6), False)):
        cases.append(Case((rng.normal(size=shape_q), rng.normal(size=shape_k)), {"scale": scale}))
    return cases


def _scores_mistakes(case):
    Q, K, scale = arguments(case, "Q", "K", "scale", scale=True)
    d = Q.shape[-1]
    raw = lambda: Q @ _swap(K)  # noqa: E731
    if scale:
        yield "forgot to divide by √d_k (scale=True)", raw
        yield "divided by d_k (or by √d_k twice): divide once by √d_k", lambda: raw() / d
    else:
        yield "divided by √d_k although scale=False: only scale when scale is True", lambda: raw() / np.sqrt(d)
    s = np.sqrt(d) if scale else 1.0
    yield "computed K Qᵀ: row i must be query i's scores against every key (Q Kᵀ)", lambda: K @ _swap(Q) / s
    yield ("K.T reverses every axis of a batched K: transpose only the last two (np.swapaxes(K, -1, -2))",
           lambda: Q @ K.T / s)
    if scale:
        yield ("divided by √len(Q), the number of queries (or of sequences in a batch): d_k is the last axis, "
               "Q.shape[-1]", lambda: raw() / np.sqrt(len(Q)))
        yield ("took d_k as Q.shape[1]: with a batch (B, T, d_k) that is T; d_k is the last axis, Q.shape[-1]",
               lambda: raw() / np.sqrt(Q.shape[1]))


# ---- causal_mask ----


def _mask_cases(rng):
    return [Case((1,)), Case((2,)), Case((3,)), Case((4,)), Case((0,)), Case((int(rng.integers(5, 9)),))]


def _mask_mistakes(case):
    (T,) = arguments(case, "T")
    yield ("masked the wrong triangle: token i may look at tokens 0..i (on and below the diagonal), -inf goes above",
           lambda: np.tril(np.full((T, T), -np.inf), k=-1))
    yield ("masked the diagonal too: a token may look at itself, so the diagonal is 0",
           lambda: np.triu(np.full((T, T), -np.inf), k=0))
    yield ("masked the wrong triangle and the diagonal: 0 on and below the diagonal, -inf above",
           lambda: np.tril(np.full((T, T), -np.inf), k=0))
    yield ("used a large negative number: the mask holds -np.inf above the diagonal (exp(-inf) is exactly 0)",
           lambda: np.triu(np.full((T, T), -1e9), k=1))
    yield ("returned a 0/1 mask: causal_mask is additive, 0 where allowed and -np.inf above the diagonal",
           lambda: np.tril(np.ones((T, T))))
    yield ("returned a True/False mask: causal_mask is additive, 0 where allowed and -np.inf above the diagonal",
           lambda: np.triu(np.ones((T, T), dtype=bool), k=1))
    yield ("NaN on and below the diagonal: -inf * 0 is NaN, so build the mask with np.full(..., -np.inf) and "
           "np.triu(..., k=1) instead of multiplying", lambda: -np.inf * np.triu(np.ones((T, T)), k=1))


# ---- attention ----


def _attention_cases(rng):
    Q = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    V = np.array([[1.0, 0.0], [0.0, 1.0], [10.0, 10.0]])
    cases = [
        Case((Q, Q, V)),
        Case((Q, Q, V), {"mask": attention.causal_mask(3)}),
        Case((Q, Q, V), {"scale": False}),
        Case((Q[:1], Q[:1], V[:1]), {"mask": attention.causal_mask(1)}),  # T = 1: the one token sees itself
        Case((np.array([[1.0, 0.0], [0.0, 30.0]]), np.array([[1.0, 0.0], [0.0, 30.0]]), V[:2]), {"scale": False}),
        Case((Q.astype(int), Q.astype(int), np.array([[1, 0], [0, 1], [2, 2]]))),  # integer Q, K and V
        # a batch of two sequences of 3 tokens with d_k = 2, d_v = 4: swap only the last two axes of K
        Case((np.stack([Q, -Q]), np.stack([Q[::-1], Q]), np.stack([np.hstack([V, V]), np.hstack([V, -V])])),
             {"mask": attention.causal_mask(3)}),
    ]
    for T, d, d_v in ((4, 3, 2), (5, 4, 4)):
        X = rng.normal(size=(3, T, d))
        cases.append(Case((X[0], X[1], rng.normal(size=(T, d_v))), {"mask": attention.causal_mask(T)}))
    cases.append(Case((rng.normal(size=(2, 4, 3)), rng.normal(size=(2, 4, 3)), rng.normal(size=(2, 4, 5))),
                      {"mask": attention.causal_mask(4)}))  # a batch of two sequences, one mask for both
    cases.append(Case((rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 6, 4)), rng.normal(size=(2, 6, 2)))))
    cases.append(Case((rng.normal(size=(4, 6)), rng.normal(size=(4, 6)), rng.normal(size=(4, 3))),
                      {"mask": attention.causal_mask(4), "scale": False}))
    return cases


def _attend(Q, K, V, mask, scale, transpose=False, axis=-1, d_scale=None, multiply=False, global_max=False):
    """Attention, with the knobs the mistakes turn: K Qᵀ, the softmax axis, the width the scores are scaled by,
    the mask multiplied instead of added, the max of all the scores subtracted instead of each row's."""
    divisor = np.sqrt(d_scale or Q.shape[-1]) if scale else 1.0
    scores = (K @ _swap(Q) if transpose else Q @ _swap(K)) / divisor
    if mask is not None:
        scores = scores * mask if multiply else scores + mask
    if global_max:
        e = np.exp(scores - scores.max())
        weights = e / e.sum(axis=axis, keepdims=True)
    else:
        weights = stable_softmax(scores, axis)
    return weights @ V, weights


def _attention_mistakes(case):
    Q, K, V, mask, scale = arguments(case, "Q", "K", "V", "mask", "scale", mask=None, scale=True)
    if scale:
        yield "forgot to divide the scores by √d_k", lambda: _attend(Q, K, V, mask, False)
        yield "divided by d_k (or by √d_k twice): divide once by √d_k", \
            lambda: _attend(Q, K, V, mask, True, d_scale=Q.shape[-1] ** 2)
    else:
        yield "divided by √d_k although scale=False", lambda: _attend(Q, K, V, mask, True)
    if mask is not None:
        yield "ignored the mask: add it to the scores before the softmax", lambda: _attend(Q, K, V, None, scale)

        def after():
            weights = stable_softmax(_attend(Q, K, V, None, scale)[1] + mask)
            return weights @ V, weights

        yield "applied the mask after the softmax: add it to the scores before the softmax", after
        yield ("multiplied the scores by the mask: the mask is added (0 keeps a score, -inf hides it; "
               "-inf * 0 is NaN)", lambda: _attend(Q, K, V, mask, scale, multiply=True))
    yield ("subtracted the max of all the scores: a row far below it underflows to 0 / 0 = NaN; subtract each "
           "row's own max (axis=-1, keepdims=True)", lambda: _attend(Q, K, V, mask, scale, global_max=True))
    yield "took the softmax over the queries (axis -2): each row (one query) must sum to 1", \
        lambda: _attend(Q, K, V, mask, scale, axis=-2)
    yield "computed K Qᵀ: weights[i, j] is how much query i attends to key j (Q Kᵀ)", \
        lambda: _attend(Q, K, V, None if mask is None else _swap(mask), scale, transpose=True)
    if mask is not None:
        yield "computed K Qᵀ: weights[i, j] is how much query i attends to key j (Q Kᵀ)", \
            lambda: _attend(Q, K, V, mask, scale, transpose=True)
    yield "returned (weights, out): return out first, then weights", \
        lambda: tuple(reversed(_attend(Q, K, V, mask, scale)))


# ---- self_attention ----


def _self_cases(rng):
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    I = np.eye(2)
    cases = [Case((X, I, I, I)), Case((X, I, I, I), {"causal": True}), Case((X, I, I, I), {"scale": False})]
    W_Q, W_K = np.array([[1.0], [0.0]]), np.array([[1.0], [1.0]])
    cases.append(Case((X, W_Q, W_K, I), {"causal": True}))  # d = 2 but d_k = 1: scale by √d_k, W_Q's width
    cases.append(Case((X[:1], I, I, I), {"causal": True}))  # T = 1
    cases.append(Case((np.array([[1.0, 0.0], [0.0, 30.0]]), I, I, I), {"scale": False}))  # rows of very different scale
    cases.append(Case((np.array([[1, 0], [0, 1], [1, 1]]), I.astype(int), I.astype(int), I.astype(int))))  # integers
    # a batch of two sequences of three tokens, causal: T is X.shape[-2], and only K's last two axes swap
    cases.append(Case((np.stack([X, X[::-1] - 1.0]), I, 2 * I, np.array([[1.0, 2.0], [3.0, -1.0]])), {"causal": True}))
    for T, d, d_k, causal in ((4, 3, 3, True), (5, 4, 2, False), (3, 2, 4, True)):
        cases.append(Case((rng.normal(size=(T, d)), *rng.normal(size=(3, d, d_k))), {"causal": causal}))
    cases.append(Case((rng.normal(size=(2, 4, 3)), *rng.normal(size=(3, 3, 3))), {"causal": True, "scale": False}))
    return cases


def _self_mistakes(case):
    X, W_Q, W_K, W_V, causal, scale = arguments(case, "X", "W_Q", "W_K", "W_V", "causal", "scale",
                                            causal=False, scale=True)
    T = X.shape[-2]
    mask = attention.causal_mask(T) if causal else None
    Q, K, V = X @ W_Q, X @ W_K, X @ W_V
    if causal:
        yield "ignored causal=True: add causal_mask(T) to the scores", lambda: _attend(Q, K, V, None, scale)
        yield "masked the wrong triangle: -inf goes above the diagonal", lambda: _attend(Q, K, V, _swap(mask), scale)
    else:
        yield "applied the causal mask although causal=False", \
            lambda: _attend(Q, K, V, attention.causal_mask(T), scale)
    yield ("forgot to divide by √d_k" if scale else "divided by √d_k although scale=False"), \
        lambda: _attend(Q, K, V, mask, not scale)
    if scale:
        yield "divided by d_k (or by √d_k twice): divide once by √d_k", \
            lambda: _attend(Q, K, V, mask, True, d_scale=Q.shape[-1] ** 2)
    yield "used X itself as the values: V = X W_V", lambda: _attend(Q, K, X, mask, scale)
    if scale:
        yield "scaled by √d, the width of X: scale by √d_k, the width of Q (W_Q's columns)", \
            lambda: _attend(Q, K, V, mask, True, d_scale=X.shape[-1])
    if causal:
        yield ("multiplied the scores by a 0/1 mask: a score of 0 still gets weight; add causal_mask(T) "
               "(-inf above the diagonal)", lambda: _attend(Q, K, V, np.tril(np.ones((T, T))), scale, multiply=True))
    yield ("subtracted the max of all the scores: a row far below it underflows to 0 / 0 = NaN; subtract each "
           "row's own max (axis=-1, keepdims=True)", lambda: _attend(Q, K, V, mask, scale, global_max=True))
    yield "mixed up the projections: Q = X W_Q, K = X W_K, V = X W_V", lambda: _attend(K, Q, V, mask, scale)


# ---- multi_head_attention ----


def _mha_cases(rng):
    X = np.array([[1.0, 0.0, 0.0, 1.0], [0.0, 1.0, 1.0, 0.0], [1.0, 1.0, 0.0, 0.0]])
    I = np.eye(4)
    cases = [Case((X, I, I, I, I, 2)), Case((X, I, I, I, I, 1), {"causal": True})]
    cases.append(Case((X[:1], I, I, I, I, 2), {"causal": True}))  # T = 1
    big = np.array([[1.0, 0.0, 0.0, 1.0], [0.0, 40.0, 1.0, 0.0]])  # head 0's rows score 0.7 and 1131: each row's max
    cases.append(Case((big, I, I, I, I, 2)))
    W_O = np.arange(16.0).reshape(4, 4) / 8.0
    cases.append(Case((X, I, 2 * I, I[::-1], W_O, 2), {"causal": True}))  # reshaping (T, d) into heads mixes tokens
    # a batch of three sequences: weights (3, n_heads, T, T), only the last two axes of K swap
    cases.append(Case((np.stack([X, X[::-1], -X]), I, I, I, W_O, 2), {"causal": True}))
    for T, d_model, d, d_out, n_heads, causal in ((4, 4, 4, 4, 2, False), (5, 6, 6, 6, 3, True),
                                                  (3, 3, 6, 2, 2, True), (4, 8, 8, 8, 4, False)):
        Ws = rng.normal(size=(3, d_model, d))
        cases.append(Case((rng.normal(size=(T, d_model)), *Ws, rng.normal(size=(d, d_out)), n_heads),
                          {"causal": causal}))
    Ws = rng.normal(size=(3, 4, 4))
    cases.append(Case((rng.normal(size=(2, 3, 4)), *Ws, rng.normal(size=(4, 4)), 2), {"causal": True}))
    return cases


def _heads(X, W_Q, W_K, W_V, W_O, n_heads, causal, cols, scale_by=None, global_max=False):
    """Multi-head attention with each head's columns given by ``cols(h)``; None for W_O means no projection."""
    mask = attention.causal_mask(X.shape[-2]) if causal else None
    outs, weights = [], []
    for h in range(n_heads):
        c = cols(h)
        Q, K, V = X @ W_Q[:, c], X @ W_K[:, c], X @ W_V[:, c]
        out, w = _attend(Q, K, V, mask, True, d_scale=scale_by, global_max=global_max)
        outs.append(out)
        weights.append(w)
    out = np.concatenate(outs, axis=-1)
    return (out if W_O is None else out @ W_O), np.stack(weights, axis=-3)


def _mha_mistakes(case):
    X, W_Q, W_K, W_V, W_O, n_heads, causal = arguments(case, "X", "W_Q", "W_K", "W_V", "W_O", "n_heads", "causal",
                                                   causal=False)
    d = W_Q.shape[1]
    d_h = d // n_heads
    block = lambda h: slice(h * d_h, (h + 1) * d_h)  # noqa: E731
    interleaved = lambda h: slice(h, d, n_heads)  # noqa: E731
    yield ("took the heads as interleaved columns (h::n_heads): head h uses the contiguous block of columns "
           "h*d_h:(h+1)*d_h", lambda: _heads(X, W_Q, W_K, W_V, W_O, n_heads, causal, interleaved))
    yield "forgot W_O: concatenate the heads, then multiply by W_O", \
        lambda: _heads(X, W_Q, W_K, W_V, None, n_heads, causal, block)
    yield "scaled by √d: each head is scaled by √d_h, its own width", \
        lambda: _heads(X, W_Q, W_K, W_V, W_O, n_heads, causal, block, scale_by=d)
    yield ("ignored causal=True" if causal else "applied the causal mask although causal=False"), \
        lambda: _heads(X, W_Q, W_K, W_V, W_O, n_heads, not causal, block)
    yield ("subtracted the max of all the scores: a row far below it underflows to 0 / 0 = NaN; subtract each "
           "row's own max (axis=-1, keepdims=True)",
           lambda: _heads(X, W_Q, W_K, W_V, W_O, n_heads, causal, block, global_max=True))
    if X.ndim == 2:
        yield ("reshaped (T, d) straight into (n_heads, T, d_h), which mixes tokens: split the columns, "
               "reshape(T, n_heads, d_h), then swap the first two axes", lambda: _reshaped_heads(
                   X, W_Q, W_K, W_V, W_O, n_heads, causal))


def _reshaped_heads(X, W_Q, W_K, W_V, W_O, n_heads, causal):
    """The heads taken as (X @ W).reshape(n_heads, T, d_h): each head gets rows of several tokens."""
    T, d = X.shape[-2], W_Q.shape[1]
    split = lambda W: (X @ W).reshape(n_heads, T, d // n_heads)  # noqa: E731
    mask = attention.causal_mask(T) if causal else None
    out, weights = _attend(split(W_Q), split(W_K), split(W_V), mask, True)
    return np.swapaxes(out, 0, 1).reshape(T, d) @ W_O, weights


def _compare_mha(expected, got, case):
    out, weights = expected
    if isinstance(got, tuple) and len(got) == 2 and isinstance(got[1], np.ndarray) and got[1].shape != weights.shape:
        return (f"weights has shape {got[1].shape}, expected {weights.shape}: stack the heads' weights as "
                "(..., n_heads, T, T) on axis -3, head h at weights[..., h, :, :]")
    return naming_mistakes(_mha_mistakes)(expected, got, case)


SPECS = [
    Spec(
        name="embed",
        reference=attention.embed,
        cases=_embed_cases,
        hint="embed(E, ids) is E[ids]: one row of E per id, keeping the shape of ids",
        compare=naming_mistakes(_embed_mistakes),
    ),
    Spec(
        name="softmax",
        reference=attention.softmax,
        cases=_softmax_cases,
        hint="exp(x - max) / sum(exp(x - max)) along axis, with keepdims=True; -inf entries give 0",
        compare=_compare_softmax,
    ),
    Spec(
        name="attention_scores",
        reference=attention.attention_scores,
        cases=_scores_cases,
        hint="Q @ swapaxes(K, -1, -2), divided by √d_k (d_k = Q.shape[-1]) only when scale is True",
        compare=naming_mistakes(_scores_mistakes),
    ),
    Spec(
        name="causal_mask",
        reference=attention.causal_mask,
        cases=_mask_cases,
        hint="a (T, T) float array: 0 on and below the diagonal, -np.inf above it (np.triu(..., k=1))",
        compare=naming_mistakes(_mask_mistakes),
    ),
    Spec(
        name="attention",
        reference=attention.attention,
        cases=_attention_cases,
        hint="weights = softmax(Q Kᵀ / √d_k + mask) along the last axis, out = weights @ V; return (out, weights)",
        compare=naming_mistakes(_attention_mistakes),
    ),
    Spec(
        name="self_attention",
        reference=attention.self_attention,
        cases=_self_cases,
        hint="Q = X @ W_Q, K = X @ W_K, V = X @ W_V, then attention with causal_mask(T) when causal",
        compare=naming_mistakes(_self_mistakes),
    ),
    Spec(
        name="multi_head_attention",
        reference=attention.multi_head_attention,
        cases=_mha_cases,
        hint=("head h attends with columns h*d_h:(h+1)*d_h of X@W_Q, X@W_K, X@W_V, scaled by √d_h; concatenate the "
              "heads' outputs in order, then @ W_O; weights has shape (n_heads, T, T)"),
        compare=_compare_mha,
    ),
]
