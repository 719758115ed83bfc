"""Rung 4: embeddings, softmax and (multi-head, causal) scaled dot-product attention.

Row vectors throughout: a sequence of T tokens is ``X`` of shape ``(T, d)``, and projections multiply from the
right (``Q = X @ W_Q``). Every attention function also works over leading batch axes ``(..., T, d)``.
"""

import numpy as np

from reference import _checks as check


def embed(E, ids):
    """Look up the embedding row of each token id.

    Parameters
    ----------
    E : ndarray of shape `(V, d)`
        The embedding table, one row per word of the vocabulary.
    ids : int or array of ints, any shape
        Token ids in ``[0, V)``.

    Returns
    -------
    X : ndarray of shape `ids.shape + (d,)`
        ``E[ids]``.
    """
    E = check.array(E, "E", ndim=2)
    ids = check.ids(ids, "ids", E.shape[0])
    return E[ids]  # (V, d)[ids] -> (*ids.shape, d)


def softmax(x, axis=-1):
    """Numerically stable softmax along ``axis``.

    softmax(x)_i = exp(x_i - max x) / sum_j exp(x_j - max x)

    Subtracting the max changes nothing mathematically and keeps every exponent <= 0, so nothing overflows.
    Entries of -inf (masked positions, unseen words) get probability 0.

    Parameters
    ----------
    x : ndarray, at least 1-D
        Logits or scores; finite or -inf, and at least one entry above -inf along ``axis``.
    axis : int
        The axis the probabilities sum over.

    Returns
    -------
    probs : ndarray of the shape of `x`
        Non-negative, summing to 1 along ``axis``.
    """
    x = check.array(x, "x", min_ndim=1, inf="neg")
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"axis must be in [{-x.ndim}, {x.ndim}) for x of shape {x.shape}; got {axis!r}")
    if x.shape[axis] == 0:
        raise ValueError(f"x must have at least one entry along axis {axis}; got shape {x.shape}")
    return _softmax(x.copy(), axis)  # the core works in place; the caller's array stays as it was


def _softmax(x, axis=-1, name="x"):
    """The softmax core, for an array already checked (finite or -inf entries). Overwrites x with the result:
    callers pass a fresh temporary (scores, logits / T), which saves allocating a second array of its size."""
    m = x.max(axis=axis, keepdims=True)
    if not np.isfinite(m).all():
        if not np.isneginf(m[~np.isfinite(m)]).all():  # +inf or NaN: Q K^T overflowed float64
            raise ValueError("x must stay finite; got values that overflow float64 (scale the inputs down)")
        row = np.argwhere(~np.isfinite(np.squeeze(m, axis)))[0]
        where = f" (row {tuple(int(i) for i in row)})" if row.size else ""
        raise ValueError(
            f"{name} must leave an entry above -inf in every row along axis {axis}: a fully masked row has no "
            f"distribution; got a row of only -inf{where}"
        )
    x -= m  # shift so the largest exponent is 0
    np.exp(x, out=x)
    x /= x.sum(axis=axis, keepdims=True)
    return x


def attention_scores(Q, K, scale=True):
    """How strongly each query matches each key: the dot products Q Kᵀ, divided by √d_k when ``scale``.

    Parameters
    ----------
    Q : ndarray of shape `(..., T_q, d_k)`
        Queries, one row per asking token.
    K : ndarray of shape `(..., T_k, d_k)`
        Keys, one row per token being looked at.
    scale : bool
        Divide by √d_k, which keeps the scores' spread independent of the width d_k.

    Returns
    -------
    scores : ndarray of shape `(..., T_q, T_k)`
    """
    Q, K = _check_qk(Q, K)
    return _scores(Q, K, _flag(scale, "scale"))


def _scores(Q, K, scale):
    if scale:
        Q = Q / np.sqrt(Q.shape[-1])  # scaling Q (T_q * d_k numbers) is cheaper than the scores (T_q * T_k)
    return Q @ np.swapaxes(K, -1, -2)  # (..., T_q, d_k) x (..., d_k, T_k) -> (..., T_q, T_k)


def causal_mask(T):
    """The additive causal mask: 0 on and below the diagonal, -inf above it.

    Added to the scores, it lets token i look only at tokens 0..i, never at a later one.

    Returns
    -------
    mask : ndarray of shape `(T, T)`
    """
    T = check.integer(T, "T", minimum=0)
    return np.triu(np.full((T, T), -np.inf), k=1)


def attention(Q, K, V, mask=None, scale=True):
    """Scaled dot-product attention over leading batch axes.

    weights = softmax(Q Kᵀ / √d_k + mask),   out = weights V

    Parameters
    ----------
    Q : ndarray of shape `(..., T_q, d_k)`
    K : ndarray of shape `(..., T_k, d_k)`
    V : ndarray of shape `(..., T_k, d_v)`
    mask : None or ndarray broadcastable to `(..., T_q, T_k)`
        Added to the scores before the softmax; 0 keeps a position, -inf hides it (see ``causal_mask``).
    scale : bool
        Divide the scores by √d_k.

    Returns a tuple of
    -------
    out : ndarray of shape `(..., T_q, d_v)`
        Each query's weighted average of the values.
    weights : ndarray of shape `(..., T_q, T_k)`
        The attention weights; each row sums to 1.
    """
    Q, K = _check_qk(Q, K)
    V = check.array(V, "V", min_ndim=2)
    if V.shape[-2] != K.shape[-2]:
        raise ValueError(
            f"K and V must have one row per token (the same T_k); got K of shape {K.shape} and V of shape {V.shape}"
        )
    _broadcast(Q.shape[:-2], V.shape[:-2], "Q", "V")
    scale = _flag(scale, "scale")
    if mask is not None:
        mask = _check_mask(mask, Q, K)
    return _attend(Q, K, V, mask, scale)


def _attend(Q, K, V, mask, scale):
    """The attention core, for arguments already checked."""
    scores = _scores(Q, K, scale)  # (..., T_q, T_k)
    if mask is not None:
        scores += mask  # -inf above the diagonal for a causal mask
    weights = _softmax(scores, axis=-1, name="mask")  # (..., T_q, T_k), rows sum to 1
    return weights @ V, weights  # (..., T_q, T_k) x (..., T_k, d_v) -> (..., T_q, d_v)


def self_attention(X, W_Q, W_K, W_V, causal=False, scale=True):
    """Single-head self-attention: each token's query against every token's key.

    Q = X W_Q,  K = X W_K,  V = X W_V,  then ``attention(Q, K, V)``, with a causal mask when ``causal``.

    Parameters
    ----------
    X : ndarray of shape `(..., T, d)`
        The token vectors, one row per token.
    W_Q, W_K : ndarray of shape `(d, d_k)`
    W_V : ndarray of shape `(d, d_v)`
    causal : bool
        Hide later tokens from earlier ones.
    scale : bool
        Divide the scores by √d_k.

    Returns a tuple of
    -------
    out : ndarray of shape `(..., T, d_v)`
    weights : ndarray of shape `(..., T, T)`
    """
    X, (W_Q, W_K, W_V) = _check_projections(X, (W_Q, W_K, W_V), ("W_Q", "W_K", "W_V"))
    causal, scale = _flag(causal, "causal"), _flag(scale, "scale")
    mask = causal_mask(X.shape[-2]) if causal else None
    return _attend(X @ W_Q, X @ W_K, X @ W_V, mask, scale)  # (..., T, d) x (d, d_k) -> (..., T, d_k)


def multi_head_attention(X, W_Q, W_K, W_V, W_O, n_heads, causal=False):
    """Multi-head self-attention: n_heads attentions side by side on slices of the projections.

    Head h uses columns ``h*d_h:(h+1)*d_h`` of Q = X W_Q, K = X W_K and V = X W_V (d_h = d / n_heads) and is
    scaled by √d_h; the heads' outputs are concatenated in order and projected by W_O.

    Parameters
    ----------
    X : ndarray of shape `(..., T, d_model)`
    W_Q, W_K, W_V : ndarray of shape `(d_model, d)`
    W_O : ndarray of shape `(d, d_out)`
    n_heads : int
        Number of heads; must divide d.
    causal : bool
        Hide later tokens from earlier ones, in every head.

    Returns a tuple of
    -------
    out : ndarray of shape `(..., T, d_out)`
    weights : ndarray of shape `(..., n_heads, T, T)`
        Head h's attention weights at ``weights[..., h, :, :]``.
    """
    names = ("W_Q", "W_K", "W_V")
    X, (W_Q, W_K, W_V) = _check_projections(X, (W_Q, W_K, W_V), names)
    for W, name in zip((W_K, W_V), names[1:]):
        if W.shape != W_Q.shape:
            raise ValueError(f"W_Q and {name} must have the same shape; got {W_Q.shape} and {W.shape}")
    d = W_Q.shape[1]
    n_heads = check.integer(n_heads, "n_heads", minimum=1)
    if d % n_heads:
        raise ValueError(f"n_heads must divide the projection width d = {d}; got n_heads = {n_heads}")
    W_O = check.array(W_O, "W_O", ndim=2)
    if W_O.shape[0] != d:
        raise ValueError(f"W_O must have {d} rows (the heads' concatenated width); got shape {W_O.shape}")
    causal = _flag(causal, "causal")
    mask = causal_mask(X.shape[-2]) if causal else None
    return _multi_head(X, W_Q, W_K, W_V, W_O, n_heads, mask)


def _multi_head(X, W_Q, W_K, W_V, W_O, n_heads, mask):
    *batch, T, _ = X.shape
    d_h = W_Q.shape[1] // n_heads

    def heads(W):  # project, then split the columns into heads: (..., T, d) -> (..., n_heads, T, d_h)
        return np.swapaxes((X @ W).reshape(*batch, T, n_heads, d_h), -2, -3)

    out, weights = _attend(heads(W_Q), heads(W_K), heads(W_V), mask, True)  # (..., n_heads, T, d_h)
    out = np.swapaxes(out, -2, -3).reshape(*batch, T, n_heads * d_h)  # concatenate heads -> (..., T, d)
    return out @ W_O, weights  # (..., T, d) x (d, d_out) -> (..., T, d_out)


# ---- checks shared by the functions above ----


def _flag(x, name):
    return bool(check.choice(x, name, (True, False)))


def _broadcast(a, b, name_a, name_b):
    try:
        return np.broadcast_shapes(a, b)
    except ValueError:
        raise ValueError(
            f"{name_a} and {name_b} must have broadcastable leading (batch) axes; got {a} and {b}"
        ) from None


def _check_qk(Q, K):
    Q = check.array(Q, "Q", min_ndim=2)
    K = check.array(K, "K", min_ndim=2)
    if Q.shape[-1] != K.shape[-1] or Q.shape[-1] == 0:
        raise ValueError(
            f"Q and K must share a non-empty last axis d_k; got Q of shape {Q.shape} and K of shape {K.shape}"
        )
    _broadcast(Q.shape[:-2], K.shape[:-2], "Q", "K")
    return Q, K


def _check_mask(mask, Q, K):
    mask = check.array(mask, "mask", inf="neg")
    scores_shape = np.broadcast_shapes(Q.shape[:-2], K.shape[:-2]) + (Q.shape[-2], K.shape[-2])
    try:
        ok = np.broadcast_shapes(mask.shape, scores_shape) == scores_shape
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"mask must broadcast to the scores' shape {scores_shape}; got shape {mask.shape}")
    return mask


def _check_projections(X, Ws, names):
    X = check.array(X, "X", min_ndim=2)
    Ws = tuple(check.array(W, name, ndim=2) for W, name in zip(Ws, names))
    for W, name in zip(Ws, names):
        if W.shape[0] != X.shape[-1]:
            raise ValueError(
                f"{name} must have {X.shape[-1]} rows (the width d of X, shape {X.shape}); got shape {W.shape}"
            )
    if Ws[0].shape[1] != Ws[1].shape[1] or Ws[0].shape[1] == 0:
        raise ValueError(
            f"W_Q and W_K must have the same, non-zero number of columns d_k; got {Ws[0].shape} and {Ws[1].shape}"
        )
    return X, Ws
