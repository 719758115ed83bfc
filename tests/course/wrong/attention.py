"""Plausible wrong answers for 04_attention: each must lose exactly its own function's points."""

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
        ("never scales",
         "def attention(Q, K, V, mask=None, scale=True):\n"
         "    s = Q @ np.swapaxes(K, -1, -2)\n"
         "    if mask is not None:\n        s = s + mask\n"
         "    e = np.exp(s - s.max(axis=-1, keepdims=True))\n"
         "    w = e / e.sum(axis=-1, keepdims=True)\n    return w @ V, w\n"),
        ("ignores the mask",
         "def attention(Q, K, V, mask=None, scale=True):\n"
         "    s = Q @ np.swapaxes(K, -1, -2)\n"
         "    if scale:\n        s = s / np.sqrt(Q.shape[-1])\n"
         "    e = np.exp(s - s.max(axis=-1, keepdims=True))\n"
         "    w = e / e.sum(axis=-1, keepdims=True)\n    return w @ V, w\n"),
        ("softmax over the queries (axis -2)",
         "def attention(Q, K, V, mask=None, scale=True):\n"
         "    s = Q @ np.swapaxes(K, -1, -2)\n"
         "    if scale:\n        s = s / np.sqrt(Q.shape[-1])\n"
         "    if mask is not None:\n        s = s + mask\n"
         "    e = np.exp(s - s.max(axis=-2, keepdims=True))\n"
         "    w = e / e.sum(axis=-2, keepdims=True)\n    return w @ V, w\n"),
        ("weights from K Q^T",
         "def attention(Q, K, V, mask=None, scale=True):\n"
         "    s = K @ np.swapaxes(Q, -1, -2)\n"
         "    if scale:\n        s = s / np.sqrt(Q.shape[-1])\n"
         "    if mask is not None:\n        s = s + mask\n"
         "    e = np.exp(s - s.max(axis=-1, keepdims=True))\n"
         "    w = e / e.sum(axis=-1, keepdims=True)\n    return w @ V, w\n"),
    ],
    "self_attention": [
        ("ignores causal",
         "def self_attention(X, W_Q, W_K, W_V, causal=False, scale=True):\n"
         "    Q, K, V = X @ W_Q, X @ W_K, X @ W_V\n"
         "    s = Q @ np.swapaxes(K, -1, -2)\n"
         "    if scale:\n        s = s / np.sqrt(Q.shape[-1])\n"
         "    e = np.exp(s - s.max(axis=-1, keepdims=True))\n"
         "    w = e / e.sum(axis=-1, keepdims=True)\n    return w @ V, w\n"),
        ("X as the values instead of X W_V",
         "def self_attention(X, W_Q, W_K, W_V, causal=False, scale=True):\n"
         "    Q, K = X @ W_Q, X @ W_K\n"
         "    s = Q @ np.swapaxes(K, -1, -2)\n"
         "    if scale:\n        s = s / np.sqrt(Q.shape[-1])\n"
         "    if causal:\n        s = s + np.triu(np.full(s.shape[-2:], -np.inf), k=1)\n"
         "    e = np.exp(s - s.max(axis=-1, keepdims=True))\n"
         "    w = e / e.sum(axis=-1, keepdims=True)\n    return w @ X, w\n"),
        ("sqrt(d) applied twice",
         "def self_attention(X, W_Q, W_K, W_V, causal=False, scale=True):\n"
         "    Q, K, V = X @ W_Q, X @ W_K, X @ W_V\n"
         "    s = Q @ np.swapaxes(K, -1, -2)\n"
         "    if scale:\n        s = s / Q.shape[-1]\n"
         "    if causal:\n        s = s + np.triu(np.full(s.shape[-2:], -np.inf), k=1)\n"
         "    e = np.exp(s - s.max(axis=-1, keepdims=True))\n"
         "    w = e / e.sum(axis=-1, keepdims=True)\n    return w @ V, w\n"),
    ],
    "multi_head_attention": [
        ("heads as interleaved columns",
         "def multi_head_attention(X, W_Q, W_K, W_V, W_O, n_heads, causal=False):\n"
         "    T, d_h = X.shape[-2], W_Q.shape[1] // n_heads\n"
         "    outs, ws = [], []\n"
         "    for h in range(n_heads):\n"
         "        Q, K, V = X @ W_Q[:, h::n_heads], X @ W_K[:, h::n_heads], X @ W_V[:, h::n_heads]\n"
         "        s = Q @ np.swapaxes(K, -1, -2) / np.sqrt(d_h)\n"
         "        if causal:\n            s = s + np.triu(np.full((T, T), -np.inf), k=1)\n"
         "        e = np.exp(s - s.max(axis=-1, keepdims=True))\n"
         "        w = e / e.sum(axis=-1, keepdims=True)\n"
         "        outs.append(w @ V)\n        ws.append(w)\n"
         "    return np.concatenate(outs, axis=-1) @ W_O, np.stack(ws, axis=-3)\n"),
        ("W_O forgotten",
         "def multi_head_attention(X, W_Q, W_K, W_V, W_O, n_heads, causal=False):\n"
         "    T, d_h = X.shape[-2], W_Q.shape[1] // n_heads\n"
         "    outs, ws = [], []\n"
         "    for h in range(n_heads):\n"
         "        c = slice(h * d_h, (h + 1) * d_h)\n"
         "        Q, K, V = X @ W_Q[:, c], X @ W_K[:, c], X @ W_V[:, c]\n"
         "        s = Q @ np.swapaxes(K, -1, -2) / np.sqrt(d_h)\n"
         "        if causal:\n            s = s + np.triu(np.full((T, T), -np.inf), k=1)\n"
         "        e = np.exp(s - s.max(axis=-1, keepdims=True))\n"
         "        w = e / e.sum(axis=-1, keepdims=True)\n"
         "        outs.append(w @ V)\n        ws.append(w)\n"
         "    return np.concatenate(outs, axis=-1), np.stack(ws, axis=-3)\n"),
        ("scaled by sqrt(d) instead of sqrt(d_h)",
         "def multi_head_attention(X, W_Q, W_K, W_V, W_O, n_heads, causal=False):\n"
         "    T, d_h = X.shape[-2], W_Q.shape[1] // n_heads\n"
         "    outs, ws = [], []\n"
         "    for h in range(n_heads):\n"
         "        c = slice(h * d_h, (h + 1) * d_h)\n"
         "        Q, K, V = X @ W_Q[:, c], X @ W_K[:, c], X @ W_V[:, c]\n"
         "        s = Q @ np.swapaxes(K, -1, -2) / np.sqrt(W_Q.shape[1])\n"
         "        if causal:\n            s = s + np.triu(np.full((T, T), -np.inf), k=1)\n"
         "        e = np.exp(s - s.max(axis=-1, keepdims=True))\n"
         "        w = e / e.sum(axis=-1, keepdims=True)\n"
         "        outs.append(w @ V)\n        ws.append(w)\n"
         "    return np.concatenate(outs, axis=-1) @ W_O, np.stack(ws, axis=-3)\n"),
    ],
}
