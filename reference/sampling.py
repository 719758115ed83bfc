"""Rung 6: from logits to a chosen word, and the autoregressive loop that writes one word at a time.

logits --(temperature)--> probs --(top-p)--> probs --(greedy, or an inverse-CDF draw with u in [0, 1))--> id
"""

import numpy as np

from reference import _checks as check
from reference.attention import _softmax


def apply_temperature(logits, T):
    """Probabilities at temperature T: softmax(logits / T).

    T < 1 sharpens the distribution towards the top word, T > 1 flattens it towards uniform.

    Parameters
    ----------
    logits : ndarray of shape `(V,)`
        Finite or -inf (an unreachable word); at least one finite.
    T : float > 0

    Returns
    -------
    probs : ndarray of shape `(V,)`
    """
    logits = _logits(logits)
    T = check.positive(T, "T")
    return _softmax(logits / T, name="logits")


def top_p_filter(probs, p):
    """Nucleus (top-p) filtering: keep the smallest set of most probable words whose mass reaches p.

    Words are ranked by probability, ties going to the lower index; the kept set grows down that ranking until its
    cumulative mass is >= p (so at least one word is kept). The rest are set to 0 and the kept ones renormalized.

    Parameters
    ----------
    probs : ndarray of shape `(V,)`
        A probability vector.
    p : float in (0, 1]

    Returns
    -------
    probs : ndarray of shape `(V,)`
    """
    probs = check.probabilities(probs, "probs")
    p = check.interval(p, "p", 0, 1, closed_lo=False, closed_hi=True)
    return _top_p(probs, p)


def _top_p(probs, p):
    if p == 1:  # the whole distribution (no rounding in a cumulative sum can drop a word)
        return probs / probs.sum()
    order = np.argsort(-probs, kind="stable")  # most probable first; a stable sort keeps ties in index order
    n_keep = min(int(np.searchsorted(np.cumsum(probs[order]), p)) + 1, probs.size)  # first mass >= p, inclusive
    kept = np.zeros_like(probs)
    kept[order[:n_keep]] = probs[order[:n_keep]]
    return kept / kept.sum()


def greedy(logits):
    """The most likely word: the index of the largest logit (the lowest index on ties).

    Parameters
    ----------
    logits : ndarray of shape `(V,)`

    Returns
    -------
    id : int
    """
    return int(np.argmax(_logits(logits)))  # argmax returns the first maximum


def sample_index(probs, u):
    """Inverse-CDF draw: the first index i with u < cumsum(probs)[i].

    A uniform u in [0, 1) lands in word i's slice of the unit interval with probability probs[i]. If rounding
    leaves the total just below u, the answer is the last word with nonzero probability.

    Parameters
    ----------
    probs : ndarray of shape `(V,)`
        A probability vector.
    u : float in [0, 1)

    Returns
    -------
    id : int
    """
    probs = check.probabilities(probs, "probs")
    u = check.interval(u, "u", 0, 1, closed_lo=True, closed_hi=False)
    return _sample_index(probs, u)


def _sample_index(probs, u):
    i = int(np.searchsorted(np.cumsum(probs), u, side="right"))  # first i with cumsum[i] > u
    return i if i < probs.size else int(np.flatnonzero(probs)[-1])


def next_token(logits, T=1.0, top_p=1.0, u=None, rng=None):
    """Choose the next word from the logits: greedy at T == 0, otherwise a top-p-filtered draw at temperature T.

    Parameters
    ----------
    logits : ndarray of shape `(V,)`
    T : float >= 0
        Temperature; 0 means greedy (no randomness, ``u`` and ``rng`` unused).
    top_p : float in (0, 1]
    u : float in [0, 1), optional
        The uniform number of the draw. When None, one ``rng.random()`` is drawn.
    rng : numpy.random.Generator, optional
        Where u comes from; a fresh ``np.random.default_rng()`` when None.

    Returns
    -------
    id : int
    """
    logits = _logits(logits)
    T, top_p, rng = _knobs(T, top_p, rng)
    if u is not None:
        u = check.interval(u, "u", 0, 1, closed_lo=True, closed_hi=False)
    if T == 0:
        return int(np.argmax(logits))
    probs = _top_p(_softmax(logits / T, name="logits"), top_p)  # temperature, then the nucleus
    if u is None:
        u = (rng if rng is not None else np.random.default_rng()).random()  # one draw per sampled token
    return _sample_index(probs, u)


def generate(model, ids, n, T=1.0, top_p=1.0, rng=None):
    """Autoregressive generation: append n words, each chosen from the model's logits for everything so far.

    Parameters
    ----------
    model : dict
        The tiny model's weights (see ``reference.tinygpt.MODEL``), run by ``reference.block.forward``.
    ids : sequence of int
        The prompt's token ids, at least one.
    n : int >= 0
        How many new words.
    T, top_p : float
        As in ``next_token``; each new word at T > 0 consumes exactly one ``rng.random()``.
    rng : numpy.random.Generator, optional
        A fresh ``np.random.default_rng()`` when None.

    Returns
    -------
    ids : list of int
        The prompt followed by the n new ids.
    """
    from reference.block import forward  # the tiny model's forward pass (rung 5)

    if not isinstance(model, dict) or "E" not in model:
        raise ValueError(f"model must be a dict of weights with an embedding table 'E'; got {type(model).__name__}")
    ids = check.ids(ids, "ids", np.shape(model["E"])[0], ndim=1)
    if ids.size == 0:
        raise ValueError("ids must hold at least one token id (the prompt); got an empty sequence")
    n = check.integer(n, "n", minimum=0)
    T, top_p, rng = _knobs(T, top_p, rng)
    if rng is None and T > 0:
        rng = np.random.default_rng()  # one stream for the whole sequence
    out = [int(i) for i in ids]
    for _ in range(n):
        logits = forward(model, out)  # (V,): the model's scores for the word after everything so far
        out.append(next_token(logits, T, top_p, rng=rng))  # choose it and feed it back in
    return out


def _logits(logits):
    """A 1-D, non-empty logit vector: finite or -inf entries, at least one finite."""
    logits = check.array(logits, "logits", ndim=1, nonempty=True, inf="neg")
    if np.isneginf(logits).all():
        raise ValueError("logits must have at least one finite entry (a reachable word); got only -inf")
    return logits


def _knobs(T, top_p, rng):
    """The sampling settings: T >= 0 (0 is greedy), top_p in (0, 1], rng a numpy Generator or None."""
    T = check.real(T, "T")
    if T < 0:
        raise ValueError(f"T must be >= 0 (0 means greedy); got {T!r}")
    top_p = check.interval(top_p, "top_p", 0, 1, closed_lo=False, closed_hi=True)
    if rng is not None and not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy Generator (np.random.default_rng(seed)) or None; got {rng!r}")
    return T, top_p, rng
