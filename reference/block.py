"""Rung 5: the MLP block with its residual, the tied unembedding, and the whole forward pass of the tiny model.

Row vectors throughout: a token vector is ``h`` of shape ``(d,)`` (or ``(T, d)`` for T of them) and weights
multiply from the right (``h @ W1``). The model is a dict of arrays ``E (V, d)``, ``W1 (d, d_ff)``,
``b1 (d_ff,)``, ``W2 (d_ff, d)``, ``b2 (d,)``; ``reference.tinygpt.MODEL`` is the one the course runs.
"""

import numpy as np

from reference import _checks as check
from reference.attention import softmax

MODEL_KEYS = ("E", "W1", "b1", "W2", "b2")


def mlp_block(h, W1, b1, W2, b2):
    """The MLP block with its residual: each token vector thinks on its own, then adds what it concluded.

    h2 = h + relu(h @ W1 + b1) @ W2 + b2

    Parameters
    ----------
    h : ndarray of shape `(d,)` or `(T, d)`
        One token vector, or T of them (one per row; each goes through the block independently).
    W1 : ndarray of shape `(d, d_ff)`
    b1 : ndarray of shape `(d_ff,)`
    W2 : ndarray of shape `(d_ff, d)`
    b2 : ndarray of shape `(d,)`

    Returns
    -------
    h2 : ndarray of the shape of `h`
    """
    h = _check_h(h)
    W1, b1, W2, b2 = _check_mlp(h.shape[-1], W1, b1, W2, b2)
    return _mlp_block(h, W1, b1, W2, b2)


def _mlp_block(h, W1, b1, W2, b2):
    z = h @ W1 + b1  # (..., d) x (d, d_ff) -> (..., d_ff)
    return h + np.maximum(z, 0.0) @ W2 + b2  # (..., d_ff) x (d_ff, d) -> (..., d), plus the residual h


def unembed(h, E):
    """Tied unembedding: score every word of the vocabulary by its dot product with h.

    logits = h @ Eᵀ   (the same E that embedded the words reads them out)

    Parameters
    ----------
    h : ndarray of shape `(d,)` or `(T, d)`
    E : ndarray of shape `(V, d)`
        The embedding table.

    Returns
    -------
    logits : ndarray of shape `(V,)` or `(T, V)`
    """
    h = _check_h(h)
    E = check.array(E, "E", ndim=2)
    if E.shape[1] != h.shape[-1]:
        raise ValueError(
            f"E must have {h.shape[-1]} columns (the width d of h, shape {h.shape}); got shape {E.shape}"
        )
    return h @ E.T  # (..., d) x (d, V) -> (..., V)


def forward(model, ids):
    """The whole forward pass of the tiny model: the logits of the word that comes after ``ids``.

    X = E[ids];  a = softmax(X @ x_last);  h1 = x_last + a @ X;  h2 = mlp_block(h1, ...);  logits = h2 @ Eᵀ

    One attention head with identity Q, K and V in which only the last token asks, no positional encoding,
    no √d scaling, and the tied unembedding.

    Parameters
    ----------
    model : dict
        ``E (V, d)``, ``W1 (d, d_ff)``, ``b1 (d_ff,)``, ``W2 (d_ff, d)``, ``b2 (d,)``.
    ids : sequence of ints, length T >= 1
        The prompt's token ids, each in ``[0, V)``.

    Returns
    -------
    logits : ndarray of shape `(V,)`
        One score per word of the vocabulary (softmax them for probabilities).
    """
    E, W1, b1, W2, b2 = _check_model(model)
    ids = check.ids(ids, "ids", E.shape[0], ndim=1)
    if ids.size == 0:
        raise ValueError("ids must hold at least one token id (the prompt); got an empty sequence")
    X = E[ids]  # (V, d)[ids] -> (T, d)
    h1 = _last_token_attends(X)
    h2 = _mlp_block(h1, W1, b1, W2, b2)
    return h2 @ E.T  # (d,) x (d, V) -> (V,)


def _last_token_attends(X):
    """h1 = x_last + softmax(X @ x_last) @ X: the last token's query against every token, plus the residual."""
    x_last = X[-1]  # (d,): the token that asks what comes next
    a = softmax(X @ x_last)  # (T, d) x (d,) -> (T,), identity Q and K, no √d
    return x_last + a @ X  # the nudge (T,) x (T, d) -> (d,), added to the residual stream


# ---- checks shared by the functions above ----


def _check_h(h):
    h = check.array(h, "h")
    if h.ndim not in (1, 2) or h.shape[-1] == 0:
        raise ValueError(f"h must be a token vector (d,) or T of them (T, d), with d >= 1; got shape {h.shape}")
    return h


def _check_mlp(d, W1, b1, W2, b2):
    """W1 (d, d_ff), b1 (d_ff,), W2 (d_ff, d), b2 (d,), as float64."""
    W1 = check.array(W1, "W1", ndim=2)
    d_ff = W1.shape[1]
    expected = {"W1": (d, d_ff), "b1": (d_ff,), "W2": (d_ff, d), "b2": (d,)}
    arrays = [W1] + [
        check.array(x, name, ndim=len(expected[name])) for x, name in zip((b1, W2, b2), ("b1", "W2", "b2"))
    ]
    for a, (name, shape) in zip(arrays, expected.items()):
        if a.shape != shape:
            raise ValueError(
                f"{name} must have shape {shape} (d = {d} from h or E, d_ff = {d_ff} from W1); got shape {a.shape}"
            )
    return arrays


def _check_model(model):
    """The model dict's arrays E, W1, b1, W2, b2, as float64, with shapes that fit together."""
    if not isinstance(model, dict):
        raise ValueError(f"model must be a dict with keys {', '.join(MODEL_KEYS)}; got {type(model).__name__}")
    missing = [key for key in MODEL_KEYS if key not in model]
    if missing:
        raise ValueError(f"model must have the keys {', '.join(MODEL_KEYS)}; missing {', '.join(missing)}")
    E = check.array(model["E"], "model['E']", ndim=2)
    if 0 in E.shape:
        raise ValueError(f"model['E'] must have at least one word and one dimension; got shape {E.shape}")
    try:
        return [E] + _check_mlp(E.shape[1], *(model[key] for key in MODEL_KEYS[1:]))
    except ValueError as err:
        raise ValueError(f"model: {err}") from None
