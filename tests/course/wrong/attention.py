"""Plausible wrong answers for 04_attention: each must lose exactly its own function's points."""

_SCALE = "    if scale:\n        s = s / np.sqrt(Q.shape[-1])\n"

_ATTENTION = """def attention(Q, K, V, mask=None, scale=True):
    s = {scores}
{scale}{mask}    e = np.exp(s - {shift})
    w = e / e.sum(axis={axis}, keepdims=True)
    return w @ V, w
"""

_SELF_ATTENTION = """def self_attention(X, W_Q, W_K, W_V, causal=False, scale=True):
    Q, K = X @ W_Q, X @ W_K
    s = {scores}
{scale}{mask}    e = np.exp(s - {shift})
    w = e / e.sum(axis=-1, keepdims=True)
    return w @ {values}, w
"""

_MULTI_HEAD = """def multi_head_attention(X, W_Q, W_K, W_V, W_O, n_heads, causal=False):
    T, d_h = X.shape[-2], W_Q.shape[1] // n_heads
    outs, ws = [], []
    for h in range(n_heads):
        c = {cols}
        Q, K, V = X @ W_Q[:, c], X @ W_K[:, c], X @ W_V[:, c]
        s = {scores} / np.sqrt({width})
        if {causal}:
            s = s + np.triu(np.full((T, T), -np.inf), k=1)
        e = np.exp(s - {shift})
        w = e / e.sum(axis=-1, keepdims=True)
        outs.append(w @ V)
        ws.append(w)
    return np.concatenate(outs, axis=-1){project}, np.stack(ws, {stack})
"""


def _attention(scores="Q @ np.swapaxes(K, -1, -2)", scale=_SCALE,
               mask="    if mask is not None:\n        s = s + mask\n", axis="-1",
               shift="s.max(axis={axis}, keepdims=True)"):
    """The right attention but for one changed piece."""
    return _ATTENTION.format(scores=scores, scale=scale, mask=mask, shift=shift.format(axis=axis), axis=axis)


def _self_attention(scores="Q @ np.swapaxes(K, -1, -2)", scale=_SCALE, values="(X @ W_V)",
                    mask="    if causal:\n        s = s + np.triu(np.full(s.shape[-2:], -np.inf), k=1)\n",
                    shift="s.max(axis=-1, keepdims=True)"):
    return _SELF_ATTENTION.format(scores=scores, scale=scale, mask=mask, values=values, shift=shift)


def _multi_head(cols="slice(h * d_h, (h + 1) * d_h)", width="d_h", project=" @ W_O", causal="causal",
                scores="Q @ np.swapaxes(K, -1, -2)", shift="s.max(axis=-1, keepdims=True)", stack="axis=-3"):
    return _MULTI_HEAD.format(cols=cols, width=width, project=project, causal=causal, scores=scores, shift=shift,
                              stack=stack)


_SOFTMAX = "def softmax(x, axis=-1):\n    e = np.exp(x - {shift})\n    return e / np.sum(e, axis=axis{keep})\n"

_RESHAPED_HEADS = """def multi_head_attention(X, W_Q, W_K, W_V, W_O, n_heads, causal=False):
    T, d = X.shape[-2], W_Q.shape[1]
    Q, K, V = [(X @ W).reshape(n_heads, T, d // n_heads) for W in (W_Q, W_K, W_V)]
    s = Q @ np.swapaxes(K, -1, -2) / np.sqrt(d // n_heads)
    if causal:
        s = s + np.triu(np.full((T, T), -np.inf), k=1)
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    w = e / e.sum(axis=-1, keepdims=True)
    return np.swapaxes(w @ V, 0, 1).reshape(T, d) @ W_O, w
"""


WRONG = {
    "embed": [
        ("columns of E instead of rows", "def embed(E, ids):\n    return E[:, ids].T\n"),
        ("ids flattened, batch axis lost", "def embed(E, ids):\n    return E[np.ravel(ids)]\n"),
        ("np.take without axis: single numbers of the flattened E",
         "def embed(E, ids):\n    return np.take(E, ids)\n"),
        ("a loop over ids: a single int id cannot be iterated",
         "def embed(E, ids):\n    return np.array([E[i] for i in ids])\n"),
        ("np.atleast_1d: a single id gives (1, d) instead of (d,)",
         "def embed(E, ids):\n    return E[np.atleast_1d(ids)]\n"),
    ],
    "softmax": [
        ("no max shift: overflows to nan on large logits",
         "def softmax(x, axis=-1):\n    e = np.exp(x)\n    return e / np.sum(e, axis=axis, keepdims=True)\n"),
        ("always over the first axis",
         "def softmax(x, axis=-1):\n    e = np.exp(x - np.max(x, axis=0, keepdims=True))\n"
         "    return e / np.sum(e, axis=0, keepdims=True)\n"),
        ("divides by the sum of the whole array",
         "def softmax(x, axis=-1):\n    e = np.exp(x - np.max(x))\n    return e / np.sum(e)\n"),
        ("subtracts the global max, not each row's: nan for [[0, 1], [1000, 1001]]",
         _SOFTMAX.format(shift="np.max(x)", keep=", keepdims=True")),
        ("subtracts the min instead of the max", _SOFTMAX.format(shift="np.min(x, axis=axis, keepdims=True)",
                                                                   keep=", keepdims=True")),
        ("keepdims forgotten in the sum", _SOFTMAX.format(shift="np.max(x, axis=axis, keepdims=True)", keep="")),
        ("works in place: an integer x cannot hold exp",
         "def softmax(x, axis=-1):\n    x = x - np.max(x, axis=axis, keepdims=True)\n    np.exp(x, out=x)\n"
         "    x /= np.sum(x, axis=axis, keepdims=True)\n    return x\n"),
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
        ("divides by sqrt(len(Q)), the number of queries",
         "def attention_scores(Q, K, scale=True):\n    s = Q @ np.swapaxes(K, -1, -2)\n"
         "    return s / np.sqrt(len(Q)) if scale else s\n"),
        ("d_k as Q.shape[1]: T in a batch",
         "def attention_scores(Q, K, scale=True):\n    s = Q @ np.swapaxes(K, -1, -2)\n"
         "    return s / np.sqrt(Q.shape[1]) if scale else s\n"),
        ("divides in place: fails for integer Q and K",
         "def attention_scores(Q, K, scale=True):\n    s = Q @ np.swapaxes(K, -1, -2)\n"
         "    if scale:\n        s /= np.sqrt(Q.shape[-1])\n    return s\n"),
    ],
    "causal_mask": [
        ("masks the lower triangle", "def causal_mask(T):\n    return np.tril(np.full((T, T), -np.inf), k=-1)\n"),
        ("masks the diagonal too", "def causal_mask(T):\n    return np.triu(np.full((T, T), -np.inf), k=0)\n"),
        ("-1e9 instead of -inf", "def causal_mask(T):\n    return np.triu(np.full((T, T), -1e9), k=1)\n"),
        ("-inf times a 0/1 mask: nan on and below the diagonal",
         "def causal_mask(T):\n    return -np.inf * np.triu(np.ones((T, T)), k=1)\n"),
        ("a boolean mask instead of an additive one",
         "def causal_mask(T):\n    return np.triu(np.ones((T, T), dtype=bool), k=1)\n"),
    ],
    "attention": [
        ("never scales", _attention(scale="")),
        ("ignores the mask", _attention(mask="")),
        ("softmax over the queries (axis -2)", _attention(axis="-2")),
        ("weights from K Q^T", _attention(scores="K @ np.swapaxes(Q, -1, -2)")),
        ("K.T: reverses the batch axes too", _attention(scores="Q @ K.T")),
        ("mask multiplied instead of added", _attention(mask="    if mask is not None:\n        s = s * mask\n")),
        ("global max of the scores subtracted", _attention(shift="s.max()")),
        ("scales in place: fails for integer Q and K",
         _attention(scale="    if scale:\n        s /= np.sqrt(Q.shape[-1])\n")),
    ],
    "self_attention": [
        ("ignores causal", _self_attention(mask="")),
        ("X as the values instead of X W_V", _self_attention(values="X")),
        ("sqrt(d) applied twice", _self_attention(scale="    if scale:\n        s = s / Q.shape[-1]\n")),
        ("scaled by sqrt(d) of X instead of sqrt(d_k)",
         _self_attention(scale="    if scale:\n        s = s / np.sqrt(X.shape[-1])\n")),
        ("K.T: reverses the batch axes too", _self_attention(scores="Q @ K.T")),
        ("causal as a multiplied 0/1 mask",
         _self_attention(mask="    if causal:\n        s = s * np.tril(np.ones(s.shape[-2:]))\n")),
        ("T as X.shape[0]: the batch size for batched X",
         _self_attention(mask="    if causal:\n        T = X.shape[0]\n"
                              "        s = s + np.triu(np.full((T, T), -np.inf), k=1)\n")),
        ("global max of the scores subtracted", _self_attention(shift="s.max()")),
    ],
    "multi_head_attention": [
        ("heads as interleaved columns", _multi_head(cols="slice(h, None, n_heads)")),
        ("W_O forgotten", _multi_head(project="")),
        ("scaled by sqrt(d) instead of sqrt(d_h)", _multi_head(width="W_Q.shape[1]")),
        ("(T, d) reshaped straight into (n_heads, T, d_h)", _RESHAPED_HEADS),
        ("causal ignored", _multi_head(causal="False")),
        ("global max of the scores subtracted", _multi_head(shift="s.max()")),
        ("K.T: reverses the batch axes too", _multi_head(scores="Q @ K.T")),
        ("heads stacked first: (n_heads, ..., T, T) for batched X", _multi_head(stack="axis=0")),
    ],
}
