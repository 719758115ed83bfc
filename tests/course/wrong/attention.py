"""Plausible wrong answers for 04_attention: each must lose exactly its own function's points."""

_SCALE = "    if scale:\n        s = s / np.sqrt(Q.shape[-1])\n"

_ATTENTION = """def attention(Q, K, V, mask=None, scale=True):
    s = {scores}
{scale}{mask}    e = np.exp(s - s.max(axis={axis}, keepdims=True))
    w = e / e.sum(axis={axis}, keepdims=True)
    return w @ V, w
"""

_SELF_ATTENTION = """def self_attention(X, W_Q, W_K, W_V, causal=False, scale=True):
    Q, K = X @ W_Q, X @ W_K
    s = Q @ np.swapaxes(K, -1, -2)
{scale}{mask}    e = np.exp(s - s.max(axis=-1, keepdims=True))
    w = e / e.sum(axis=-1, keepdims=True)
    return w @ {values}, w
"""

_MULTI_HEAD = """def multi_head_attention(X, W_Q, W_K, W_V, W_O, n_heads, causal=False):
    T, d_h = X.shape[-2], W_Q.shape[1] // n_heads
    outs, ws = [], []
    for h in range(n_heads):
        c = {cols}
        Q, K, V = X @ W_Q[:, c], X @ W_K[:, c], X @ W_V[:, c]
        s = Q @ np.swapaxes(K, -1, -2) / np.sqrt({width})
        if causal:
            s = s + np.triu(np.full((T, T), -np.inf), k=1)
        e = np.exp(s - s.max(axis=-1, keepdims=True))
        w = e / e.sum(axis=-1, keepdims=True)
        outs.append(w @ V)
        ws.append(w)
    return np.concatenate(outs, axis=-1){project}, np.stack(ws, axis=-3)
"""


def _attention(scores="Q @ np.swapaxes(K, -1, -2)", scale=_SCALE,
               mask="    if mask is not None:\n        s = s + mask\n", axis="-1"):
    """The right attention but for one changed piece."""
    return _ATTENTION.format(scores=scores, scale=scale, mask=mask, axis=axis)


def _self_attention(scale=_SCALE, values="(X @ W_V)",
                    mask="    if causal:\n        s = s + np.triu(np.full(s.shape[-2:], -np.inf), k=1)\n"):
    return _SELF_ATTENTION.format(scale=scale, mask=mask, values=values)


def _multi_head(cols="slice(h * d_h, (h + 1) * d_h)", width="d_h", project=" @ W_O"):
    return _MULTI_HEAD.format(cols=cols, width=width, project=project)


WRONG = {
    "embed": [
        ("columns of E instead of rows", "def embed(E, ids):\n    return E[:, ids].T\n"),
        ("ids flattened, batch axis lost", "def embed(E, ids):\n    return E[np.ravel(ids)]\n"),
    ],
    "softmax": [
        ("no max shift: overflows to nan on large logits",
         "def softmax(x, axis=-1):\n    e = np.exp(x)\n    return e / np.sum(e, axis=axis, keepdims=True)\n"),
        ("always over the first axis",
         "def softmax(x, axis=-1):\n    e = np.exp(x - np.max(x, axis=0, keepdims=True))\n"
         "    return e / np.sum(e, axis=0, keepdims=True)\n"),
        ("divides by the sum of the whole array",
         "def softmax(x, axis=-1):\n    e = np.exp(x - np.max(x))\n    return e / np.sum(e)\n"),
    ],
    "attention_scores": [
        ("never divides by sqrt(d_k)", "def attention_scores(Q, K, scale=True):\n    return Q @ np.swapaxes(K, -1, -2)\n"),
        ("divides by d_k instead of sqrt(d_k)",
         "def attention_scores(Q, K, scale=True):\n    s = Q @ np.swapaxes(K, -1, -2)\n"
         "    return s / Q.shape[-1] if scale else s\n"),
        ("K Q^T: transposed scores",
         "def attention_scores(Q, K, scale=True):\n    s = K @ np.swapaxes(Q, -1, -2)\n"
         "    return s / np.sqrt(Q.shape[-1]) if scale else s\n"),
        ("K.T breaks batches",
         "def attention_scores(Q, K, scale=True):\n    s = Q @ K.T\n    return s / np.sqrt(Q.shape[-1]) if scale else s\n"),
    ],
    "causal_mask": [
        ("masks the lower triangle", "def causal_mask(T):\n    return np.tril(np.full((T, T), -np.inf), k=-1)\n"),
        ("masks the diagonal too", "def causal_mask(T):\n    return np.triu(np.full((T, T), -np.inf), k=0)\n"),
        ("-1e9 instead of -inf", "def causal_mask(T):\n    return np.triu(np.full((T, T), -1e9), k=1)\n"),
    ],
    "attention": [
        ("never scales", _attention(scale="")),
        ("ignores the mask", _attention(mask="")),
        ("softmax over the queries (axis -2)", _attention(axis="-2")),
        ("weights from K Q^T", _attention(scores="K @ np.swapaxes(Q, -1, -2)")),
    ],
    "self_attention": [
        ("ignores causal", _self_attention(mask="")),
        ("X as the values instead of X W_V", _self_attention(values="X")),
        ("sqrt(d) applied twice", _self_attention(scale="    if scale:\n        s = s / Q.shape[-1]\n")),
    ],
    "multi_head_attention": [
        ("heads as interleaved columns", _multi_head(cols="slice(h, None, n_heads)")),
        ("W_O forgotten", _multi_head(project="")),
        ("scaled by sqrt(d) instead of sqrt(d_h)", _multi_head(width="W_Q.shape[1]")),
    ],
}
