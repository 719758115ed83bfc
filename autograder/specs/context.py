"""Rung 11 (11_context): cosine similarity, top-k, BM25, reciprocal rank fusion, and the tiny model's prediction
with a context placed before the question.

As in the other rungs, each compare names the common mistake whose result equals the student's on the same
inputs; the mistakes are recomputed here with one knob of the formula turned at a time.
"""

import functools
import math

import numpy as np

from autograder.spec import Case, Spec, arguments, compare_default, naming_mistakes
from reference import retrieval, tinygpt
from reference.attention import softmax
from reference.block import forward

WORDS = ["cat", "dog", "mat", "sat", "red", "ran", "the", "on"]  # a small lexicon for drawn BM25 cases


def _round(x):
    return np.round(x, 2)  # readable in a message, and still generic


# ---- cosine_similarity ----


def _cos_cases(rng):
    cases = [
        Case((np.array([2.0, 0.0]), np.array([[1.0, 1.0], [0.0, 2.0], [-3.0, 0.0]]))),
        Case((np.array([3.0, 4.0]), np.array([[6.0, 8.0], [4.0, -3.0], [1.0, 1.0]]))),  # rows of different lengths
        Case((np.array([1, 2, 2]), np.array([[2, 1, 0], [10, 0, 0]]))),  # integer entries
        Case((np.array([0.5, -1.0, 2.0]), np.array([[0.5, -1.0, 2.0]]))),  # one document, q itself
        Case((np.array([0.0, 0.0]), np.array([[1.0, 0.0]])), raises=ValueError),  # the zero vector has no direction
    ]
    for N, d in ((4, 3), (6, 5), (3, 8)):
        cases.append(Case((_round(rng.normal(size=d)) + 0.5, _round(rng.normal(size=(N, d)) * rng.uniform(0.5, 4,
                                                                                                          (N, 1))))))
    return cases


def _cos_mistakes(case):
    q, D = arguments(case, "q", "D")
    q, D = np.asarray(q, dtype=float), np.asarray(D, dtype=float)
    nq, nD = np.linalg.norm(q), np.linalg.norm(D, axis=1)
    yield "did not normalize D's rows: divide each D_i · q by ‖D_i‖ as well as by ‖q‖", lambda: D @ q / nq
    yield "did not normalize q: divide by ‖q‖ as well as by each row's ‖D_i‖", lambda: D @ q / nD
    yield "returned the plain dot products D @ q: divide by ‖D_i‖ ‖q‖", lambda: D @ q
    yield "normalized D by its whole norm: each row by its own length, np.linalg.norm(D, axis=1)", \
        lambda: D @ q / (np.linalg.norm(D) * nq)
    yield "returned the cosine distance 1 - cos: the similarity is the cosine itself", lambda: 1 - D @ q / (nD * nq)
    yield "took the norms over axis 0 (columns): each row's length is np.linalg.norm(D, axis=1)", \
        lambda: D @ q / (np.linalg.norm(D, axis=0) * nq)
    yield "divided by squared lengths: ‖D_i‖ ‖q‖ are square roots of sums of squares", \
        lambda: D @ q / (nD**2 * nq**2)


# ---- top_k ----


def _top_k_cases(rng):
    cases = [
        Case((np.array([0.1, 0.9, 0.5, 0.7]), 2)),
        Case((np.array([1.0, 3.0, 3.0, 1.0, 3.0]), 4)),  # ties: lower index first
        Case((np.array([2.0, 5.0, 2.0]), 10)),  # k > N: all of them
        Case((np.array([0.3, 0.1]), 0)),
        Case((np.array([4, 4, 1, 4]), 3)),  # integer scores, all tied at the top
    ]
    for N in (6, 9, 12):
        scores = rng.integers(0, 4, N).astype(float)  # few distinct values: ties on every draw
        cases.append(Case((scores, int(rng.integers(1, N + 1)))))
    cases.append(Case((_round(rng.normal(size=7)), 3)))
    return cases


def _as_list(x):
    """A student's array of indices as a list (the contract says list; an int array carries the same answer)."""
    if isinstance(x, np.ndarray) and x.ndim == 1 and x.dtype.kind in "iu":
        return [int(i) for i in x]
    return x


def _top_k_mistakes(case):
    scores, k = arguments(case, "scores", "k")
    s = np.asarray(scores, dtype=float)
    yield "ties go to the higher index: sort stably on -scores (np.argsort(-scores, kind='stable')), not argsort()[::-1]", \
        lambda: [int(i) for i in np.argsort(s, kind="stable")[::-1][:k]]
    yield "returned the lowest scores: the highest come first", lambda: [int(i) for i in np.argsort(s, kind="stable")[:k]]
    yield "returned the scores themselves: return the indices of the documents", \
        lambda: [float(v) for v in np.sort(s)[::-1][:k]]
    yield "returned the indices in index order: highest score first", \
        lambda: sorted(int(i) for i in np.argsort(-s, kind="stable")[:k])
    yield "returned k + 1 indices: exactly min(k, N)", lambda: [int(i) for i in np.argsort(-s, kind="stable")[:k + 1]]


def _compare_top_k(expected, got, case):
    got = _as_list(got)
    reason = naming_mistakes(_top_k_mistakes)(expected, got, case)
    if reason is None or not isinstance(got, list) or reason != compare_default(expected, got, case):
        return reason
    if len(got) != len(expected):
        return f"returned {len(got)} indices, expected min(k, N) = {len(expected)}"
    return reason


# ---- bm25_scores ----


def _bm25_cases(rng):
    cases = [
        Case((["b"], [["a", "b"], ["a"]])),
        Case((["a"], [["a", "a", "a"], ["c"], ["a", "d"]]), {"k1": 1.0, "b": 0.0}),  # df counts documents
        Case((["cat"], [["cat"], ["cat", "dog", "dog", "dog"], ["bird"]])),  # length normalization
        Case((["a"], [["a"], ["a", "b"]])),  # a term in every document: the 1 + keeps idf above 0
        Case((["z", "z"], [["x", "y"], ["y", "z", "z"], ["w"]])),  # a repeated query term counts twice
        Case((["cat", "sat"], [["the", "cat", "sat"], ["the", "dog"], ["cat", "cat", "on", "the", "mat"]]),
             {"k1": 2.0, "b": 1.0}),
    ]
    for N in (4, 6):
        docs = [list(rng.choice(WORDS, int(rng.integers(1, 7)))) for _ in range(N)]
        query = list(rng.choice(WORDS, 3))
        cases.append(Case(([str(t) for t in query], [[str(t) for t in doc] for doc in docs]),
                          {"k1": float(_round(rng.uniform(0.8, 2.0))), "b": float(_round(rng.uniform(0.3, 1.0)))}))
    return cases


def _bm25(query, docs, k1=1.5, b=0.75, idf="plus one", norm=True, df_occurrences=False, saturate=True,
          dl_inverted=False, query_set=False):
    """BM25 with the knobs the mistakes turn."""
    N = len(docs)
    lengths = np.array([len(doc) for doc in docs], dtype=float)
    avgdl = lengths.mean()
    ratio = avgdl / lengths if dl_inverted else lengths / avgdl
    K = k1 * (1 - b + b * ratio) if norm else k1 * np.ones(N)
    scores = np.zeros(N)
    for t in (sorted(set(query)) if query_set else query):
        tf = np.array([doc.count(t) for doc in docs], dtype=float)
        df = tf.sum() if df_occurrences else np.count_nonzero(tf)
        if idf == "no one":
            weight = np.log((N - df + 0.5) / (df + 0.5))  # NaN once df > N + 0.5, as the student's would be
        elif idf == "N over df":
            weight = np.log(N / df) if df else 0.0
        else:
            weight = math.log(1 + (N - df + 0.5) / (df + 0.5))
        top = tf * (k1 + 1) if saturate else tf
        scores += weight * np.divide(top, tf + K, out=np.zeros(N), where=tf > 0)
    return scores


def _bm25_mistakes(case):
    query, docs, k1, b = arguments(case, "query", "docs", "k1", "b", k1=1.5, b=0.75)
    yield "idf without the 1 +: idf = log(1 + (N - df + 0.5) / (df + 0.5)), which stays above 0 for common terms", \
        lambda: _bm25(query, docs, k1, b, idf="no one")
    yield "length normalization missing: the denominator is tf + k1 (1 - b + b |D| / avgdl)", \
        lambda: _bm25(query, docs, k1, b, norm=False)
    yield "df counted occurrences: df(t) is the number of documents that contain t, however often", \
        lambda: _bm25(query, docs, k1, b, df_occurrences=True)
    yield "the numerator lacks (k1 + 1): tf (k1 + 1) / (tf + k1 (1 - b + b |D| / avgdl))", \
        lambda: _bm25(query, docs, k1, b, saturate=False)
    yield "|D| / avgdl upside down: a longer document has the larger denominator, |D| / avgdl", \
        lambda: _bm25(query, docs, k1, b, dl_inverted=True)
    yield "a repeated query term counted once: loop over the query as given, each repeat adds again", \
        lambda: _bm25(query, docs, k1, b, query_set=True)
    yield "used idf = log(N / df): this rung's idf is log(1 + (N - df + 0.5) / (df + 0.5))", \
        lambda: _bm25(query, docs, k1, b, idf="N over df")
    yield "ignored k1 and b: use the values you were given", lambda: _bm25(query, docs)


# ---- reciprocal_rank_fusion ----


def _rrf_cases(rng):
    cases = [
        Case(([[0, 1, 2], [2, 1]],)),
        Case(([[1, 0], [0, 1]],)),  # an exact tie: the lower index first
        Case(([[0, 1], [2, 1]],), {"k": 1}),
        Case(([[3, 1], [7], []],)),  # every document that appears anywhere, once
        Case(([[0, 2, 3, 1], [3, 1, 2, 0], [1, 0, 2, 3]],), {"k": 10}),  # equal up to round-off: still a tie
        Case(([[4, 2, 0]],), {"k": 0}),
        Case(([[0, 2, 1], [3, 4, 1]],), {"k": 0}),  # k matters: with k = 0 a single top rank beats two thirds
    ]
    for n in (2, 3, 4):
        rankings = [[int(i) for i in rng.permutation(6)[: int(rng.integers(2, 6))]] for _ in range(n)]
        cases.append(Case((rankings,), {"k": int(rng.choice([1, 5, 60]))}))
    return cases


def _rrf(rankings, k=60, start=1, higher_first=False, exact_ties=False, all_rankings=False, no_k=False,
         ascending=False):
    """RRF with the knobs the mistakes turn."""
    score = {}
    for r in rankings:
        for rank, d in enumerate(r, start=start):
            score[d] = score.get(d, 0.0) + 1.0 / (rank if no_k else k + rank)
    if all_rankings:
        score = {d: s for d, s in score.items() if all(d in r for r in rankings)}
    sign = 1 if ascending else -1

    def order(a, c):
        if not exact_ties and abs(score[a] - score[c]) <= retrieval.RRF_TIE or exact_ties and score[a] == score[c]:
            return c - a if higher_first else a - c
        return sign if score[a] > score[c] else -sign

    return sorted(score, key=functools.cmp_to_key(order))


def _rrf_mistakes(case):
    rankings, k = arguments(case, "rankings", "k", k=60)
    yield "ranks counted from 0: the top document of a ranking adds 1 / (k + 1)", \
        lambda: _rrf(rankings, k, start=0)
    yield ("compared scores exactly: 1/(k+a) + 1/(k+b) + ... summed in another order can differ by 1e-17; treat "
           "scores within 1e-12 as ties, lower index first"), lambda: _rrf(rankings, k, exact_ties=True)
    yield "ties by the higher index: equal scores (within 1e-12) go to the lower document index", \
        lambda: _rrf(rankings, k, higher_first=True)
    yield "kept only documents in every ranking: a document missing from a ranking just adds nothing for it", \
        lambda: _rrf(rankings, k, all_rankings=True)
    yield "left out k: each ranking adds 1 / (k + rank)", lambda: _rrf(rankings, k, no_k=True)
    yield "sorted lowest score first: the best (highest) fused score comes first", \
        lambda: _rrf(rankings, k, ascending=True)
    yield "ignored the k you were given: 1 / (k + rank) with that k", lambda: _rrf(rankings, 60)


def _compare_rrf(expected, got, case):
    got = _as_list(got)
    reason = naming_mistakes(_rrf_mistakes)(expected, got, case)
    if reason is None or not isinstance(got, list) or reason != compare_default(expected, got, case):
        return reason
    if sorted(got) != sorted(expected):
        return "returned other documents: every document that appears in any ranking, each once"
    return reason


# ---- context_probs ----


def _model(rng, V=6, d=3, d_ff=4):
    return {"E": _round(rng.normal(size=(V, d))), "W1": _round(rng.normal(0, 0.5, (d, d_ff))),
            "b1": _round(rng.normal(0, 0.2, d_ff)), "W2": _round(rng.normal(0, 0.5, (d_ff, d))),
            "b2": _round(rng.normal(0, 0.2, d))}


def _tiny():
    return {key: np.array(value, dtype=float) for key, value in tinygpt.MODEL.items()}


def _context_cases(rng):
    enc = tinygpt.encode
    cases = [
        Case((_tiny(), enc("the small red creature slept ."), enc("a fluffy blue creature"))),
        Case((_tiny(), [], enc("a fluffy blue creature"))),  # no context: the plain prediction
        Case((_tiny(), enc("the river the river"), enc("the creature roamed the"))),
        Case((_tiny(), np.array(enc("a small creature wandered")), np.array(enc("the")))),  # ids as arrays
    ]
    for _ in range(2):
        model = _model(rng)
        context = [int(i) for i in rng.integers(0, 6, int(rng.integers(1, 5)))]
        question = [int(i) for i in rng.integers(0, 6, int(rng.integers(1, 4)))]
        cases.append(Case((model, context, question)))
    return cases


def _run(model, ids):
    return softmax(forward(model, [int(i) for i in ids]))


def _context_mistakes(case):
    model, context, question = arguments(case, "model", "context_ids", "question_ids")
    c, q = [int(i) for i in context], [int(i) for i in question]
    yield "put the question before the context: the context comes first, so the question's last word asks", \
        lambda: _run(model, q + c)
    yield "ignored the context: run the model on context_ids followed by question_ids", lambda: _run(model, q)
    yield "returned logits: softmax them into probabilities", lambda: forward(model, c + q)
    yield "ran the model on the context alone: the question follows it", lambda: _run(model, c)
    yield "ran context and question apart and averaged: run the model once on the joined ids", \
        lambda: (_run(model, c) + _run(model, q)) / 2 if c else _run(model, q)
    yield "added the logits of context and question run apart: run once on the joined ids", \
        lambda: softmax(forward(model, c) + forward(model, q))


def _compare_context(expected, got, case):
    reason = naming_mistakes(_context_mistakes)(expected, got, case)
    if reason and reason == compare_default(expected, got, case) and isinstance(got, np.ndarray) \
            and got.shape == expected.shape and not np.isclose(got.sum(), 1.0):
        return f"the probabilities sum to {got.sum():.4g}, not 1: softmax the logits of the joined ids"
    return reason


SPECS = [
    Spec(
        name="cosine_similarity",
        reference=retrieval.cosine_similarity,
        cases=_cos_cases,
        hint="(D @ q) / (np.linalg.norm(D, axis=1) * np.linalg.norm(q)); raise ValueError for a zero vector",
        compare=naming_mistakes(_cos_mistakes),
    ),
    Spec(
        name="top_k",
        reference=retrieval.top_k,
        cases=_top_k_cases,
        hint="the indices of the k highest scores, highest first, ties by lower index: np.argsort(-scores, "
             "kind='stable')[:k], as a list of ints",
        compare=_compare_top_k,
    ),
    Spec(
        name="bm25_scores",
        reference=retrieval.bm25_scores,
        cases=_bm25_cases,
        hint="Σ over query terms of idf · tf (k1 + 1) / (tf + k1 (1 - b + b |D| / avgdl)), "
             "idf = log(1 + (N - df + 0.5) / (df + 0.5)), df the number of documents containing the term",
        compare=naming_mistakes(_bm25_mistakes),
    ),
    Spec(
        name="reciprocal_rank_fusion",
        reference=retrieval.reciprocal_rank_fusion,
        cases=_rrf_cases,
        hint="score[d] += 1 / (k + rank) with rank from 1 in every ranking d appears in; highest first, "
             "scores within 1e-12 tie and go to the lower index",
        compare=_compare_rrf,
    ),
    Spec(
        name="context_probs",
        reference=retrieval.context_probs,
        cases=_context_cases,
        hint="softmax(forward(model, list(context_ids) + list(question_ids))): the context first, then the question",
        compare=_compare_context,
    ),
]
