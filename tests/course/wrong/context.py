"""Plausible wrong answers for 11_context: each must lose exactly its own function's points."""

_COS = """def cosine_similarity(q, D):
    q, D = np.asarray(q, dtype=float), np.asarray(D, dtype=float)
    q_norm, D_norms = np.linalg.norm(q), np.linalg.norm(D, axis={axis})
    {check}
    return {result}
"""
_CHECK = 'if q_norm == 0 or np.any(D_norms == 0):\n        raise ValueError("zero vector")'


def _cos(result="(D @ q) / (D_norms * q_norm)", axis="1", check=_CHECK):
    return _COS.format(result=result, axis=axis, check=check)


_TOP_K = """def top_k(scores, k):
    scores = np.asarray(scores, dtype=float)
    {body}
"""


def _top_k(body):
    return _TOP_K.format(body=body)


_BM25 = """def bm25_scores(query, docs, k1=1.5, b=0.75):
    N = len(docs)
    lengths = np.array([len(doc) for doc in docs], dtype=float)
    avgdl = lengths.mean()
    scores = np.zeros(N)
    for t in {terms}:
        tf = np.array([doc.count(t) for doc in docs], dtype=float)
        df = {df}
        idf = {idf}
        scores += idf * tf * {top} / (tf + k1 * {norm})
    return scores
"""


def _bm25(terms="query", df="np.count_nonzero(tf)", idf="np.log(1 + (N - df + 0.5) / (df + 0.5))",
          top="(k1 + 1)", norm="(1 - b + b * lengths / avgdl)"):
    return _BM25.format(terms=terms, df=df, idf=idf, top=top, norm=norm)


_RRF = """def reciprocal_rank_fusion(rankings, k=60):
    score = {{}}
    for ranking in rankings:
        for rank, d in enumerate(ranking{start}):
            score[d] = score.get(d, 0.0) + 1.0 / ({denominator})
    {keep}
    fused = sorted(score)
    for i in range(1, len(fused)):
        j = i
        while j > 0 and {better}:
            fused[j - 1], fused[j] = fused[j], fused[j - 1]
            j -= 1
    return [int(d) for d in fused]
"""


def _rrf(start=", start=1", denominator="k + rank", keep="",
         better="score[fused[j]] > score[fused[j - 1]] + 1e-12"):
    return _RRF.format(start=start, denominator=denominator, keep=keep, better=better)


_CONTEXT = """def context_probs(model, context_ids, question_ids):
    {body}
"""


def _context(body):
    return _CONTEXT.format(body=body)


WRONG = {
    "cosine_similarity": [
        ("D's rows not normalized", _cos(result="(D @ q) / q_norm")),
        ("q not normalized", _cos(result="(D @ q) / D_norms")),
        ("the plain dot product", _cos(result="D @ q")),
        ("norms over the columns (axis 0)", _cos(axis="0", check="")),
        ("the cosine distance 1 - cos", _cos(result="1 - (D @ q) / (D_norms * q_norm)")),
        ("no check for a zero vector (NaN instead of a ValueError)", _cos(check="")),
    ],
    "top_k": [
        ("ties by higher index (argsort reversed)",
         _top_k("return [int(i) for i in np.argsort(scores, kind='stable')[::-1][:k]]")),
        ("lowest scores first", _top_k("return [int(i) for i in np.argsort(scores, kind='stable')[:k]]")),
        ("the k best in index order", _top_k("return sorted(int(i) for i in np.argsort(-scores, kind='stable')[:k])")),
        ("k not capped at N (a loop over range(k))",
         _top_k("order = np.argsort(-scores, kind='stable')\n    return [int(order[j]) for j in range(k)]")),
        ("the sorted scores instead of the indices", _top_k("return [float(s) for s in np.sort(scores)[::-1][:k]]")),
    ],
    "bm25_scores": [
        ("idf without the 1 +", _bm25(idf="np.log((N - df + 0.5) / (df + 0.5))")),
        ("length normalization missing", _bm25(norm="1")),
        ("df counts occurrences, not documents", _bm25(df="tf.sum()")),
        ("a repeated query term counted once", _bm25(terms="set(query)")),
        ("no (k1 + 1) in the numerator", _bm25(top="1")),
        ("|D| / avgdl upside down", _bm25(norm="(1 - b + b * avgdl / lengths)")),
    ],
    "reciprocal_rank_fusion": [
        ("ranks from 0", _rrf(start="")),
        ("ties by higher index", _rrf(better="score[fused[j]] >= score[fused[j - 1]] - 1e-12")),
        ("scores compared exactly, no 1e-12 tie rule", _rrf(better="score[fused[j]] > score[fused[j - 1]]")),
        ("k ignored (always 60)", _rrf(denominator="60 + rank")),
        ("only documents found by every ranking",
         _rrf(keep="score = {d: s for d, s in score.items() if all(d in r for r in rankings)}")),
        ("1 / rank without k", _rrf(denominator="rank")),
    ],
    "context_probs": [
        ("the question before the context", _context("return softmax(forward(model, list(question_ids) + list(context_ids)))")),
        ("the context ignored", _context("return softmax(forward(model, list(question_ids)))")),
        ("logits instead of probabilities", _context("return forward(model, list(context_ids) + list(question_ids))")),
        ("context and question run apart, probabilities averaged",
         _context("if len(context_ids) == 0:\n        return softmax(forward(model, list(question_ids)))\n"
                  "    return (softmax(forward(model, list(context_ids))) + softmax(forward(model, list(question_ids)))) / 2")),
        ("context_ids + question_ids without list(): numpy arrays add elementwise",
         _context("return softmax(forward(model, context_ids + question_ids))")),
    ],
}
