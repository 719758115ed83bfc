"""reference.retrieval: cosine against scipy, BM25 against a plain loop over the formula and hand-worked values,
top-k and rank fusion by hand (ties, the 1e-12 rule), context_probs against the tiny model run on the joined ids,
the data shipped beside the notebook, and every ValueError path."""

import json
import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import cosine as scipy_cosine_distance

from numcheck import arrays, raises_naming, rel_error
from reference.attention import softmax
from reference.block import forward
from reference.retrieval import bm25_scores, context_probs, cosine_similarity, reciprocal_rank_fusion, top_k
from reference.tinygpt import MODEL, VOCAB, encode

pytestmark = pytest.mark.filterwarnings("error")

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "source" / "11_context"


# ---- cosine_similarity ----


def test_cosine_by_hand():
    D = np.array([[1.0, 1.0], [0.0, 2.0], [-3.0, 0.0], [5.0, 0.0]])
    assert np.allclose(cosine_similarity(np.array([1.0, 0.0]), D), [1 / math.sqrt(2), 0.0, -1.0, 1.0])


def test_cosine_ignores_length():
    q, D = np.array([1.0, 2.0, 2.0]), np.array([[2.0, 1.0, 0.0], [0.5, 1.0, 1.0]])
    assert np.allclose(cosine_similarity(q, D), cosine_similarity(10 * q, 3 * D))
    assert cosine_similarity(q, D)[1] == pytest.approx(1.0)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 5), st.integers(1, 6), st.data())
def test_cosine_equals_one_minus_scipy_distance(N, d, data):
    q = data.draw(arrays(d, 0.1, 5.0))  # positive entries: never the zero vector
    D = data.draw(arrays((N, d), 0.1, 5.0))
    expected = [1 - scipy_cosine_distance(q, row) for row in D]
    assert rel_error(cosine_similarity(q, D), expected) < 1e-9


def test_cosine_accepts_integers():
    assert np.allclose(cosine_similarity([3, 4], [[3, 4], [4, -3]]), [1.0, 0.0])


@pytest.mark.parametrize("q, D, name", [
    (np.zeros(2), np.eye(2), "q"),
    (np.array([1.0, 0.0]), np.array([[1.0, 0.0], [0.0, 0.0]]), "D"),
    (np.array([np.nan, 1.0]), np.eye(2), "q"),
    (np.array([1.0, 0.0]), np.array([[np.nan, 1.0]]), "D"),
    (np.array([1.0, 0.0, 0.0]), np.eye(2), "D"),
    (np.eye(2), np.eye(2), "q"),
    (np.array([1.0, 0.0]), np.array([1.0, 0.0]), "D"),
    (np.array([]), np.zeros((1, 0)), "q"),
    (np.array([np.inf, 1.0]), np.eye(2), "q"),
])
def test_cosine_rejects(q, D, name):
    with raises_naming(name):
        cosine_similarity(q, D)


# ---- top_k ----


def test_top_k_by_hand():
    assert top_k(np.array([0.1, 0.9, 0.5, 0.7]), 2) == [1, 3]
    assert top_k(np.array([0.1, 0.9, 0.5, 0.7]), 0) == []


def test_top_k_ties_go_to_the_lower_index():
    assert top_k(np.array([1.0, 3.0, 3.0, 1.0, 3.0]), 4) == [1, 2, 4, 0]
    assert top_k(np.array([-np.inf, 2.0, -np.inf]), 3) == [1, 0, 2]


def test_top_k_caps_k_at_N():
    assert top_k(np.array([2.0, 5.0]), 10) == [1, 0]
    assert top_k(np.array([]), 3) == []


def test_top_k_returns_python_ints():
    assert all(type(i) is int for i in top_k(np.array([3, 1, 2]), 3))


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(0, 3), max_size=8), st.integers(0, 10))
def test_top_k_equals_sorting_pairs(values, k):
    """Against sorting (-score, index) pairs: highest first, lower index on ties."""
    expected = [i for _, i in sorted((-v, i) for i, v in enumerate(values))][:k]
    assert top_k(np.array(values, dtype=float), k) == expected


@pytest.mark.parametrize("scores, k, name", [
    (np.array([1.0, np.nan]), 1, "scores"),
    (np.ones((2, 2)), 1, "scores"),
    (np.array(["a", "b"]), 1, "scores"),
    (np.ones(3), -1, "k"),
    (np.ones(3), 1.5, "k"),
    (np.ones(3), True, "k"),
])
def test_top_k_rejects(scores, k, name):
    with raises_naming(name):
        top_k(scores, k)


# ---- bm25_scores ----


def bm25_loop(query, docs, k1=1.5, b=0.75):
    """The Okapi BM25 formula, one term and one document at a time, in plain Python."""
    N = len(docs)
    avgdl = sum(len(doc) for doc in docs) / N
    scores = []
    for doc in docs:
        total = 0.0
        for t in query:
            df = sum(1 for other in docs if t in other)
            idf = math.log(1 + (N - df + 0.5) / (df + 0.5))
            tf = sum(1 for word in doc if word == t)
            if tf == 0:
                continue  # a term the document lacks adds nothing (also where k1 = 0 makes the fraction 0 / 0)
            total += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(doc) / avgdl))
        scores.append(total)
    return scores


def test_bm25_by_hand():
    # N = 2, df(b) = 1: idf = log(1 + 1.5 / 1.5) = log 2; avgdl = 1.5, |D0| = 2:
    # 1.5 (1 - 0.75 + 0.75 * 2 / 1.5) = 1.875, so doc 0 scores log 2 * 2.5 / 2.875 = log 2 * 20 / 23
    assert np.allclose(bm25_scores(["b"], [["a", "b"], ["a"]]), [math.log(2) * 20 / 23, 0.0])


def test_bm25_idf_of_a_term_in_every_document_stays_positive():
    # df = N = 2: idf = log(1 + 0.5 / 2.5) = log 1.2 (the "1 +" keeps it above 0)
    scores = bm25_scores(["a"], [["a"], ["a"]], k1=1.5, b=0.0)
    assert np.allclose(scores, [math.log(1.2)] * 2)


def test_bm25_df_counts_documents_not_occurrences():
    # "a" three times in doc 0, absent from doc 1: df = 1, so idf = log(1 + 1.5 / 1.5) = log 2
    # b = 0, k1 = 1: doc 0 scores log 2 * 3 * 2 / (3 + 1) = 1.5 log 2
    assert np.allclose(bm25_scores(["a"], [["a", "a", "a"], ["c"]], k1=1.0, b=0.0), [1.5 * math.log(2), 0.0])


def test_bm25_query_repeats_count_each_time():
    docs = [["x", "y"], ["y", "z", "z"], ["w"]]
    assert np.allclose(bm25_scores(["z", "z"], docs), 2 * bm25_scores(["z"], docs))


def test_bm25_length_normalization_favours_the_shorter_document():
    docs = [["cat"], ["cat", "dog", "dog", "dog"], ["bird"]]
    scores = bm25_scores(["cat"], docs)
    assert scores[0] > scores[1] > 0
    flat = bm25_scores(["cat"], docs, b=0.0)
    assert flat[0] == pytest.approx(flat[1])


def test_bm25_k1_zero_counts_presence_only():
    docs = [["a", "a", "a", "b"], ["a", "c", "d", "e"], ["f"]]
    scores = bm25_scores(["a"], docs, k1=0.0)
    assert scores[0] == pytest.approx(scores[1])


def test_bm25_empty_query_and_empty_documents():
    assert np.array_equal(bm25_scores([], [["a"], ["b"]]), [0.0, 0.0])
    assert np.array_equal(bm25_scores(["a"], [[], []]), [0.0, 0.0])


WORDS = st.sampled_from(["a", "b", "c", "d", "e"])


@settings(max_examples=80, deadline=None)
@given(st.lists(WORDS, max_size=4), st.lists(st.lists(WORDS, max_size=6), min_size=1, max_size=5),
       st.floats(0.0, 3.0), st.floats(0.0, 1.0))
def test_bm25_equals_the_plain_loop(query, docs, k1, b):
    if sum(len(doc) for doc in docs) == 0:
        return  # avgdl = 0: covered by the empty-documents test above
    assert np.allclose(bm25_scores(query, docs, k1=k1, b=b), bm25_loop(query, docs, k1, b), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("query, docs, kwargs, name", [
    ("cat", [["cat"]], {}, "query"),
    ([1], [["cat"]], {}, "query"),
    (["cat"], [], {}, "docs"),
    (["cat"], "cat", {}, "docs"),
    (["cat"], [["cat"], "dog"], {}, "docs[1]"),
    (["cat"], [["cat", 3]], {}, "docs[0]"),
    (["cat"], [["cat"]], {"k1": -1.0}, "k1"),
    (["cat"], [["cat"]], {"k1": float("nan")}, "k1"),
    (["cat"], [["cat"]], {"b": 1.5}, "b"),
    (["cat"], [["cat"]], {"b": -0.1}, "b"),
])
def test_bm25_rejects(query, docs, kwargs, name):
    with raises_naming(name):
        bm25_scores(query, docs, **kwargs)


# ---- reciprocal_rank_fusion ----


def test_rrf_by_hand():
    # doc 0: 1/61; doc 1: 1/62 + 1/62 = 0.032258; doc 2: 1/63 + 1/61 = 0.032266: 2, 1, 0
    assert reciprocal_rank_fusion([[0, 1, 2], [2, 1]]) == [2, 1, 0]


def test_rrf_rank_counts_from_one():
    # k = 0: doc 0 scores 1/1, doc 1 scores 1/2 + 1/2 = 1, doc 2 scores 1/1: a three-way tie, lower index first
    # (ranks from 0 would divide by zero); k = 1: doc 1 scores 1/3 + 1/2, doc 0 and doc 2 1/2 each
    assert reciprocal_rank_fusion([[0, 1], [2, 1]], k=0) == [0, 1, 2]
    assert reciprocal_rank_fusion([[0, 1], [2, 1]], k=1) == [1, 0, 2]


def test_rrf_includes_every_document_once():
    assert sorted(reciprocal_rank_fusion([[3, 1], [7], []])) == [1, 3, 7]
    assert reciprocal_rank_fusion([]) == []


def test_rrf_exact_ties_go_to_the_lower_index():
    assert reciprocal_rank_fusion([[1, 0], [0, 1]]) == [0, 1]
    assert reciprocal_rank_fusion([[0, 1], [1, 0]]) == [0, 1]


def test_rrf_scores_within_1e_12_are_ties():
    # k = 10: doc 1 has ranks 4, 2, 1 and doc 0 ranks 1, 4, 2 — the same sum exactly, but added in this order
    # doc 1's float sum is larger by about 3e-17; the tie rule puts doc 0 first anyway
    rankings = [[0, 2, 3, 1], [3, 1, 2, 0], [1, 0, 2, 3]]
    exact = {d: sum(Fraction(1, 10 + r.index(d) + 1) for r in rankings) for d in (0, 1)}
    floats = {d: 0.0 for d in (0, 1)}
    for r in rankings:
        for d in (0, 1):
            floats[d] += 1.0 / (10 + r.index(d) + 1)
    assert exact[0] == exact[1] and floats[1] > floats[0]  # the case is the one the rule is for
    assert reciprocal_rank_fusion(rankings, k=10)[:2] == [0, 1]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.permutations(range(5)).map(lambda p: list(p)[:3]), max_size=4), st.integers(0, 100))
def test_rrf_equals_exact_fractions(rankings, k):
    """Against exact rational scores: highest first, equal scores by lower index."""
    score = {}
    for r in rankings:
        for rank, d in enumerate(r, start=1):
            score[d] = score.get(d, Fraction(0)) + Fraction(1, k + rank)
    expected = sorted(score, key=lambda d: (-score[d], d))
    assert reciprocal_rank_fusion(rankings, k=k) == expected


@pytest.mark.parametrize("rankings, k, name", [
    ("01", 60, "rankings"),
    ([[0, 1], 2], 60, "rankings[1]"),
    ([[0, -1]], 60, "rankings[0]"),
    ([[0, 1.0]], 60, "rankings[0]"),
    ([[0, 1, 0]], 60, "rankings[0]"),
    ([[0, 1]], -1, "k"),
    ([[0, 1]], float("inf"), "k"),
])
def test_rrf_rejects(rankings, k, name):
    with raises_naming(name):
        reciprocal_rank_fusion(rankings, k=k)


# ---- context_probs ----


def test_context_probs_is_the_model_on_context_then_question():
    context, question = encode("the small red creature slept ."), encode("a fluffy blue creature")
    probs = context_probs(MODEL, context, question)
    assert probs.shape == (len(VOCAB),) and probs.sum() == pytest.approx(1.0)
    assert np.allclose(probs, softmax(forward(MODEL, context + question)))


def test_context_probs_without_context_is_the_plain_prediction():
    question = encode("a fluffy blue creature")
    probs = context_probs(MODEL, [], question)
    assert VOCAB[int(np.argmax(probs))] == "roamed" and probs.max() == pytest.approx(0.80, abs=0.01)


def test_context_order_matters():
    a, b = encode("the river"), encode("a creature")
    assert not np.allclose(context_probs(MODEL, a, b), context_probs(MODEL, b, a))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, len(VOCAB) - 1), max_size=6), st.lists(st.integers(0, len(VOCAB) - 1), min_size=1,
                                                                       max_size=4))
def test_context_probs_sums_to_one(context, question):
    probs = context_probs(MODEL, context, question)
    assert np.all(probs > 0) and probs.sum() == pytest.approx(1.0)


@pytest.mark.parametrize("model, context, question, name", [
    ({"E": MODEL["E"]}, [0], [1], "model"),
    (MODEL, [0, 99], [1], "context_ids"),
    (MODEL, [0.5], [1], "context_ids"),
    (MODEL, [0], [-1], "question_ids"),
    (MODEL, [0], [], "question_ids"),
    (MODEL, [[0]], [1], "context_ids"),
])
def test_context_probs_rejects(model, context, question, name):
    with raises_naming(name):
        context_probs(model, context, question)


# ---- the data beside the notebook ----


def test_shipped_tinygpt_is_the_reference_copy():
    shipped = json.loads((FOLDER / "tinygpt.json").read_text())
    assert shipped == json.loads((ROOT / "reference" / "tinygpt.json").read_text())


def test_shipped_vectors_cover_every_word_of_the_documents():
    docs = json.loads((FOLDER / "docs.json").read_text())
    vectors = json.loads((FOLDER / "vectors.json").read_text())
    assert 10 <= len(docs) <= 16
    widths = {len(v) for v in vectors.values()}
    assert len(widths) == 1
    for doc in docs:
        missing = [w for w in doc["text"].split() if w not in vectors]
        assert not missing, f"{doc['source']}: no vector for {missing}"
        assert any(w in VOCAB for w in doc["text"].split()), f"{doc['source']}: the tiny model reads none of it"
