"""Rung 8: what real transformers add to the tiny model — positions, normalization, GELU, a pre-LN block, depth.

Row vectors throughout, as in every rung: a sequence of T tokens is ``X`` of shape ``(T, d)`` and weights multiply
from the right (``Q = X @ W_Q``). A block is a dict of twelve arrays (``BLOCK_KEYS``); a model (``params``) holds
``E (V, d)``, ``P (T_max, d)``, ``blocks`` (a list of block dicts) and the final layer norm's ``lnf_g``, ``lnf_b``.
``reference/smallgpt.json`` (written by ``scripts/fit_smallgpt.py``) is the small GPT the course runs.
"""

import numpy as np

from reference import _checks as check
from reference.attention import multi_head_attention

BLOCK_KEYS = ("ln1_g", "ln1_b", "W_Q", "W_K", "W_V", "W_O", "ln2_g", "ln2_b", "W1", "b1", "W2", "b2")
PARAMS_KEYS = ("E", "P", "blocks", "lnf_g", "lnf_b")
GELU_C = np.sqrt(2.0 / np.pi)  # the tanh approximation's constants, as in GPT-2
GELU_A = 0.044715


def positional_encoding(T, d):
    """The sinusoidal positional encoding of "Attention is all you need": one row per position.

    PE[t, 2i] = sin(t / 10000^(2i/d)),   PE[t, 2i+1] = cos(t / 10000^(2i/d))

    An odd d is allowed: its last column is the sine of the pair the cosine would complete.

    Parameters
    ----------
    T : int >= 0
        Number of positions.
    d : int >= 1
        Width of each position's vector.

    Returns
    -------
    PE : ndarray of shape `(T, d)`, float64, entries in [-1, 1]
    """
    T = check.integer(T, "T", minimum=0)
    d = check.integer(d, "d", minimum=1)
    t = np.arange(T, dtype=np.float64)[:, None]  # (T, 1)
    two_i = np.arange(0, d, 2, dtype=np.float64)  # (ceil(d/2),): the even columns' 2i
    angle = t / 10000.0 ** (two_i / d)  # (T, 1) / (ceil(d/2),) -> (T, ceil(d/2))
    PE = np.empty((T, d))
    PE[:, 0::2] = np.sin(angle)
    PE[:, 1::2] = np.cos(angle[:, : d // 2])  # an odd d has one cosine fewer
    return PE


def layer_norm(x, gamma, beta, eps=1e-5):
    """Layer normalization over the last axis: each vector to mean 0 and variance 1, then scaled and shifted.

    layer_norm(x) = (x - mean(x)) / sqrt(var(x) + eps) * gamma + beta   (population variance, over the last axis)

    Parameters
    ----------
    x : ndarray of shape `(..., d)`, d >= 1, finite (NaN raises ValueError)
    gamma, beta : ndarray of shape `(d,)`
        The learned scale and shift.
    eps : float > 0
        Keeps a constant vector (variance 0) from dividing by zero.

    Returns
    -------
    y : ndarray of the shape of `x`
    """
    x, gamma, beta = _check_norm(x, gamma, beta)
    return _layer_norm(x, gamma, beta, check.positive(eps, "eps"))


def _layer_norm(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)  # (..., 1)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)  # (..., 1), divided by d, not d - 1
    return (x - mu) / np.sqrt(var + eps) * gamma + beta


def rms_norm(x, gamma, eps=1e-5):
    """RMSNorm over the last axis: layer norm without the centring and without the shift.

    rms_norm(x) = x / sqrt(mean(x²) + eps) * gamma

    Parameters
    ----------
    x : ndarray of shape `(..., d)`, d >= 1, finite (NaN raises ValueError)
    gamma : ndarray of shape `(d,)`
    eps : float > 0

    Returns
    -------
    y : ndarray of the shape of `x`
    """
    x, gamma = _check_norm(x, gamma)
    eps = check.positive(eps, "eps")
    return x / np.sqrt((x**2).mean(axis=-1, keepdims=True) + eps) * gamma  # (..., d) / (..., 1) * (d,)


def gelu(z):
    """The GELU activation in the tanh form GPT-2 uses, elementwise.

    gelu(z) = 0.5 z (1 + tanh(√(2/π) (z + 0.044715 z³)))

    Close to z for large positive z, close to 0 for large negative z, smooth in between (gelu(0) = 0).

    Parameters
    ----------
    z : float or ndarray of any shape (NaN passes through; ±inf give inf and 0)

    Returns
    -------
    g : float or ndarray of the shape of `z`
    """
    raw = np.asarray(z)
    if raw.dtype.kind not in "biuf":
        raise ValueError(f"z must hold real numbers; got dtype {raw.dtype}")
    z = raw.astype(np.float64, copy=False)
    with np.errstate(over="ignore", invalid="ignore"):  # z³ overflows beyond 1e102, where tanh is ±1 anyway
        g = 0.5 * z * (1.0 + np.tanh(GELU_C * (z + GELU_A * z**3)))
    g = np.where(np.isneginf(z), 0.0, g)  # -inf * 0 would be NaN; the limit is 0
    return check.elementwise_result(g)


def transformer_block(X, block, n_heads, causal=True):
    """One pre-LN transformer block, in GPT-2's order: normalize, attend, add; normalize, MLP, add.

    X = X + MHA(layer_norm(X, ln1_g, ln1_b));   X = X + gelu(layer_norm(X, ln2_g, ln2_b) @ W1 + b1) @ W2 + b2

    Parameters
    ----------
    X : ndarray of shape `(T, d)`, T >= 1
    block : dict with (at least) the keys of ``BLOCK_KEYS``
        ``ln1_g, ln1_b, ln2_g, ln2_b (d,)``, ``W_Q, W_K, W_V (d, d_a)``, ``W_O (d_a, d)``, ``W1 (d, d_ff)``,
        ``b1 (d_ff,)``, ``W2 (d_ff, d)``, ``b2 (d,)``; extra keys are ignored.
    n_heads : int >= 1, dividing d_a
    causal : bool
        Hide later tokens from earlier ones.

    Returns
    -------
    X : ndarray of shape `(T, d)`, the residual stream after the block
    """
    X = _check_X(X)
    n_heads = check.integer(n_heads, "n_heads", minimum=1)
    causal = _flag(causal, "causal")
    return _block(X, _check_block(block, X.shape[1], n_heads, "block"), n_heads, causal)


def _block(X, b, n_heads, causal):
    a = _layer_norm(X, b["ln1_g"], b["ln1_b"])  # (T, d): the attention reads a normalized copy ...
    X = X + multi_head_attention(a, b["W_Q"], b["W_K"], b["W_V"], b["W_O"], n_heads, causal)[0]  # ... adds to X
    m = _layer_norm(X, b["ln2_g"], b["ln2_b"])  # (T, d)
    return X + gelu(m @ b["W1"] + b["b1"]) @ b["W2"] + b["b2"]  # (T, d) x (d, d_ff) x (d_ff, d) -> (T, d)


def gpt_forward(params, ids, n_heads, causal=True):
    """A GPT: token plus position embeddings, L pre-LN blocks, a final layer norm and the tied unembedding.

    X = E[ids] + P[:T];  X = block_l(X) for l = 1..L;  logits = layer_norm(X, lnf_g, lnf_b) @ Eᵀ

    Parameters
    ----------
    params : dict
        ``E (V, d)``, ``P (T_max, d)``, ``blocks`` (a list of L block dicts, see ``transformer_block``),
        ``lnf_g, lnf_b (d,)``.
    ids : sequence of ints, length 1 <= T <= T_max, each in ``[0, V)``
    n_heads : int >= 1
    causal : bool

    Returns a tuple of
    -------
    logits : ndarray of shape `(T, V)`
        Row t scores the word after the first t + 1 tokens.
    norms : ndarray of shape `(L + 1, T)`
        ``norms[l, t]`` is the L2 norm of token t's residual vector after l blocks (row 0: E[ids] + P[:T];
        row L: just before the final layer norm).
    """
    E, P, blocks, lnf_g, lnf_b = _check_params(params)
    n_heads = check.integer(n_heads, "n_heads", minimum=1)
    causal = _flag(causal, "causal")
    blocks = [_check_block(b, E.shape[1], n_heads, f"params['blocks'][{l}]") for l, b in enumerate(blocks)]
    ids = check.ids(ids, "ids", E.shape[0], ndim=1)
    if not 1 <= ids.size <= P.shape[0]:
        raise ValueError(
            f"ids must hold 1 to T_max = {P.shape[0]} token ids (one row of P per position); got {ids.size}"
        )
    X = E[ids] + P[: ids.size]  # (T, d): what each token is, plus where it is
    norms = [np.linalg.norm(X, axis=1)]
    for b in blocks:
        X = _block(X, b, n_heads, causal)
        norms.append(np.linalg.norm(X, axis=1))  # (T,): how large the residual stream has grown
    logits = _layer_norm(X, lnf_g, lnf_b) @ E.T  # (T, d) x (d, V) -> (T, V)
    return logits, np.stack(norms)  # (T, V), (L + 1, T)


# ---- checks shared by the functions above ----


def _flag(x, name):
    return bool(check.choice(x, name, (True, False)))


def _check_norm(x, *params):
    """x (..., d) with d >= 1 and each of gamma (, beta) of shape (d,), as float64."""
    x = check.array(x, "x", min_ndim=1)
    if x.shape[-1] == 0:
        raise ValueError(f"x must have at least one entry on its last axis (the one normalized); got {x.shape}")
    out = [x]
    for value, name in zip(params, ("gamma", "beta")):
        value = check.array(value, name, ndim=1)
        if value.shape != x.shape[-1:]:
            raise ValueError(f"{name} must have shape ({x.shape[-1]},), the last axis of x {x.shape}; "
                             f"got {value.shape}")
        out.append(value)
    return out


def _check_X(X):
    X = check.array(X, "X", ndim=2)
    if 0 in X.shape:
        raise ValueError(f"X must be (T, d) with T >= 1 tokens and width d >= 1; got shape {X.shape}")
    return X


def _check_keys(x, keys, name):
    """A dict holding (at least) ``keys``."""
    if not isinstance(x, dict):
        raise ValueError(f"{name} must be a dict with keys {', '.join(keys)}; got {type(x).__name__}")
    missing = [key for key in keys if key not in x]
    if missing:
        raise ValueError(f"{name} must have the keys {', '.join(keys)}; missing {', '.join(missing)}")


def _check_block(block, d, n_heads, name):
    """The block's twelve arrays as float64, with shapes that fit d (``name`` says where the block came from)."""
    _check_keys(block, BLOCK_KEYS, name)
    b = {key: check.array(block[key], f"{name}['{key}']") for key in BLOCK_KEYS}
    d_a = b["W_Q"].shape[1] if b["W_Q"].ndim == 2 else -1
    d_ff = b["W1"].shape[1] if b["W1"].ndim == 2 else -1
    expected = {"ln1_g": (d,), "ln1_b": (d,), "W_Q": (d, d_a), "W_K": (d, d_a), "W_V": (d, d_a), "W_O": (d_a, d),
                "ln2_g": (d,), "ln2_b": (d,), "W1": (d, d_ff), "b1": (d_ff,), "W2": (d_ff, d), "b2": (d,)}
    for key, shape in expected.items():
        if b[key].shape != shape or min(shape) < 1:
            raise ValueError(f"{name}['{key}'] must have shape {shape} (d = {d}, d_a = {d_a} from W_Q, "
                             f"d_ff = {d_ff} from W1); got {b[key].shape}")
    if d_a % n_heads:
        raise ValueError(f"n_heads must divide the attention width d_a = {d_a} of {name}; got n_heads = {n_heads}")
    return b


def _check_params(params):
    """E, P, blocks, lnf_g, lnf_b of the model dict, the arrays as float64."""
    _check_keys(params, PARAMS_KEYS, "params")
    E = check.array(params["E"], "params['E']", ndim=2)
    if 0 in E.shape:
        raise ValueError(f"params['E'] must have at least one word and one dimension; got shape {E.shape}")
    d = E.shape[1]
    P = check.array(params["P"], "params['P']", ndim=2)
    if P.shape[1] != d or P.shape[0] == 0:
        raise ValueError(f"params['P'] must have shape (T_max, {d}) with T_max >= 1 (d from E); got {P.shape}")
    blocks = params["blocks"]
    if not isinstance(blocks, (list, tuple)):
        raise ValueError(f"params['blocks'] must be a list of block dicts; got {type(blocks).__name__}")
    lnf = []
    for key in ("lnf_g", "lnf_b"):
        value = check.array(params[key], f"params['{key}']", ndim=1)
        if value.shape != (d,):
            raise ValueError(f"params['{key}'] must have shape ({d},) (d from E); got {value.shape}")
        lnf.append(value)
    return (E, P, list(blocks), *lnf)

