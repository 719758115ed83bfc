"""Rung 11: retrieval and context. Vector search (cosine, top-k), lexical search (BM25), fusing the two rankings,
and the tiny model predicting with the retrieved words placed before the question.

Retrieval-augmented generation changes no weight: it only chooses which words sit next to the question, and
attention does the rest. ``context_probs`` is that last step with the tiny model of ``reference.tinygpt``.
"""

import functools
import math
import numbers

import numpy as np

from reference import _checks as check
from reference.attention import softmax
from reference.block import _check_model, forward

# RRF scores closer than this are the same score: 1/(60+1) + 1/(60+3) and 1/(60+2) + 1/(60+2) differ only by
# float round-off, and a tie must not depend on the order the fractions were added in
RRF_TIE = 1e-12


def cosine_similarity(q, D):
    """The cosine of the angle between a query vector and each row of D.

    cos_i = (D_i · q) / (‖D_i‖ ‖q‖)

    Parameters
    ----------
    q : ndarray of shape `(d,)`
        The query's embedding.
    D : ndarray of shape `(N, d)`
        One document embedding per row.

    Returns
    -------
    cos : ndarray of shape `(N,)`
        In [-1, 1]; 1 for a row pointing the same way as q, whatever its length.
    """
    q = check.array(q, "q", ndim=1, nonempty=True)
    D = check.array(D, "D", ndim=2)
    if D.shape[1] != q.shape[0]:
        raise ValueError(f"D must have {q.shape[0]} columns (the length d of q); got shape {D.shape}")
    q_norm = np.linalg.norm(q)
    if q_norm == 0:
        raise ValueError("q must not be the zero vector: its direction, and so its cosine, is undefined")
    D_norms = np.linalg.norm(D, axis=1)  # (N, d) -> (N,)
    zero = D_norms == 0
    if zero.any():
        raise ValueError(f"D must have no all-zero row (its cosine is undefined); row {int(np.argmax(zero))} is zero")
    return (D @ q) / (D_norms * q_norm)  # (N, d) x (d,) -> (N,), each divided by both lengths


def top_k(scores, k):
    """The indices of the k highest scores, highest first; ties go to the lower index; k is capped at N.

    Parameters
    ----------
    scores : ndarray of shape `(N,)`
        One score per document (±inf allowed, NaN not).
    k : int >= 0

    Returns
    -------
    indices : list of int, of length min(k, N)
    """
    scores = check.array(scores, "scores", ndim=1, inf="any")
    k = check.integer(k, "k", minimum=0)
    order = np.argsort(-scores, kind="stable")  # stable: equal scores keep their index order, lower first
    return [int(i) for i in order[:k]]


def bm25_scores(query, docs, k1=1.5, b=0.75):
    """Okapi BM25: how well each document matches the query's terms.

    score(D) = Σ_{t in query} idf(t) · tf(t, D) (k1 + 1) / (tf(t, D) + k1 (1 − b + b |D| / avgdl))
    idf(t)   = log(1 + (N − df(t) + 0.5) / (df(t) + 0.5))

    tf(t, D) counts t in D, |D| is D's length in terms, avgdl the mean length, df(t) the number of documents that
    contain t (at least once), N the number of documents. A term repeated in the query counts each time.

    Parameters
    ----------
    query : list of str
    docs : list of lists of str, N >= 1
    k1 : float >= 0
        How fast a term's repeats saturate (0: presence only).
    b : float in [0, 1]
        How much a long document is discounted (0: not at all, 1: fully by |D| / avgdl).

    Returns
    -------
    scores : ndarray of shape `(N,)`
    """
    query = _terms(query, "query")
    if not isinstance(docs, (list, tuple)) or len(docs) == 0:
        raise ValueError(f"docs must be a non-empty list of documents (each a list of terms); got {docs!r:.60}")
    docs = [_terms(doc, f"docs[{i}]") for i, doc in enumerate(docs)]
    k1 = check.real(k1, "k1")
    if k1 < 0:
        raise ValueError(f"k1 must be >= 0; got {k1!r}")
    b = check.interval(b, "b", 0.0, 1.0, closed_lo=True, closed_hi=True)
    N = len(docs)
    lengths = np.array([len(doc) for doc in docs], dtype=float)  # |D| per document
    avgdl = lengths.mean()
    scores = np.zeros(N)
    if avgdl == 0:
        return scores  # every document is empty: no term occurs anywhere
    norm = k1 * (1 - b + b * lengths / avgdl)  # (N,): the length normalization, per document
    for t in query:
        tf = np.array([doc.count(t) for doc in docs], dtype=float)  # (N,)
        df = np.count_nonzero(tf)  # documents containing t, not occurrences
        idf = math.log(1 + (N - df + 0.5) / (df + 0.5))
        denominator = tf + norm
        # a document without t adds 0, even where the denominator is 0 too (k1 = 0, or b = 1 and |D| = 0)
        scores += idf * np.divide(tf * (k1 + 1), denominator, out=np.zeros(N), where=tf > 0)
    return scores


def reciprocal_rank_fusion(rankings, k=60):
    """Fuse several rankings into one: each document scores Σ 1 / (k + rank) over the rankings it appears in.

    rank counts from 1 (the top document of a ranking adds 1 / (k + 1)); a document missing from a ranking adds
    nothing for it. Scores equal to within 1e-12 are ties, broken by the lower document index.

    Parameters
    ----------
    rankings : list of lists of int
        Each a ranking of document indices (>= 0), best first, no index twice.
    k : float >= 0
        Damps the top ranks: the larger k, the more a document's presence counts against its position.

    Returns
    -------
    fused : list of int
        Every document that appears in any ranking, best first.
    """
    if not isinstance(rankings, (list, tuple)):
        raise ValueError(f"rankings must be a list of rankings (lists of document indices); got {type(rankings).__name__}")
    rankings = [_ranking(r, f"rankings[{i}]") for i, r in enumerate(rankings)]
    k = check.real(k, "k")
    if k < 0:
        raise ValueError(f"k must be >= 0; got {k!r}")
    score = {}
    for ranking in rankings:
        for rank, doc in enumerate(ranking, start=1):
            score[doc] = score.get(doc, 0.0) + 1.0 / (k + rank)

    def better(a, c):
        if abs(score[a] - score[c]) <= RRF_TIE:
            return a - c  # a tie: the lower index first
        return -1 if score[a] > score[c] else 1

    return sorted(score, key=functools.cmp_to_key(better))


def context_probs(model, context_ids, question_ids):
    """The tiny model's next-word probabilities with the context placed before the question.

    probs = softmax(forward(model, context_ids + question_ids))

    The same frozen weights for every context: only the words the last token can attend to change.

    Parameters
    ----------
    model : dict
        The tiny model: ``E (V, d)``, ``W1``, ``b1``, ``W2``, ``b2`` (as ``reference.tinygpt.MODEL``).
    context_ids : sequence of ints, possibly empty
        The retrieved (or example) words, each in ``[0, V)``.
    question_ids : sequence of ints, at least one
        The question; its last token is the one that asks what comes next.

    Returns
    -------
    probs : ndarray of shape `(V,)`
    """
    V = _check_model(model)[0].shape[0]
    context = check.ids(context_ids, "context_ids", V, ndim=1)
    question = check.ids(question_ids, "question_ids", V, ndim=1)
    if question.size == 0:
        raise ValueError("question_ids must hold at least one token id (the question); got an empty sequence")
    ids = np.concatenate([context, question])  # the context first: the question's last token asks
    return softmax(forward(model, ids))


# ---- checks shared by the functions above ----


def _terms(x, name):
    """A list of terms (strings)."""
    if not isinstance(x, (list, tuple)):
        raise ValueError(f"{name} must be a list of terms (strings); got {type(x).__name__}")
    for i, t in enumerate(x):
        if not isinstance(t, str):
            raise ValueError(f"{name} must hold only terms (strings); got {t!r:.30} at index {i}")
    return list(x)


def _ranking(x, name):
    """A ranking: a list of distinct document indices >= 0, as ints."""
    if isinstance(x, np.ndarray):
        x = x.tolist()
    if not isinstance(x, (list, tuple)):
        raise ValueError(f"{name} must be a list of document indices; got {type(x).__name__}")
    out = []
    for i, doc in enumerate(x):
        if isinstance(doc, (bool, np.bool_)) or not isinstance(doc, numbers.Integral) or doc < 0:
            raise ValueError(f"{name} must hold document indices (integers >= 0); got {doc!r:.30} at index {i}")
        out.append(int(doc))
    if len(set(out)) != len(out):
        twice = next(d for d in out if out.count(d) > 1)
        raise ValueError(f"{name} must list each document once; got {twice} more than once")
    return out
