"""Plausible wrong answers for 05_block: each must lose exactly its own function's points."""

_FORWARD = """def forward(model, ids):
    E = model["E"]
    X = E[np.asarray(ids)]
    x = X[{asker}]
    w = softmax(X @ x{scale})
    h1 = {h1}
    h2 = {h2}
    return {out}
"""


_NUDGE = 'relu(h1 @ model["W1"] + model["b1"]) @ model["W2"] + model["b2"]'


def _forward(asker="-1", scale="", h1="x + w @ X", h2="h1 + " + _NUDGE, out="h2 @ E.T"):
    return _FORWARD.format(asker=asker, scale=scale, h1=h1, h2=h2, out=out)


WRONG = {
    "mlp_block": [
        ("residual forgotten", "def mlp_block(h, W1, b1, W2, b2):\n    return relu(h @ W1 + b1) @ W2 + b2\n"),
        ("ReLU after W2 as well",
         "def mlp_block(h, W1, b1, W2, b2):\n    return h + relu(relu(h @ W1 + b1) @ W2 + b2)\n"),
        ("no ReLU at all", "def mlp_block(h, W1, b1, W2, b2):\n    return h + (h @ W1 + b1) @ W2 + b2\n"),
        ("the step (z > 0) instead of relu",
         "def mlp_block(h, W1, b1, W2, b2):\n    return h + (h @ W1 + b1 > 0) @ W2 + b2\n"),
        ("column vectors: W1.T @ h breaks for T vectors",
         "def mlp_block(h, W1, b1, W2, b2):\n    return h + W2.T @ relu(W1.T @ h + b1) + b2\n"),
        ("adds in place: an integer h cannot hold the float result",
         "def mlp_block(h, W1, b1, W2, b2):\n    h += relu(h @ W1 + b1) @ W2 + b2\n    return h\n"),
    ],
    "unembed": [
        ("h @ E instead of h @ E.T", "def unembed(h, E):\n    return h @ E\n"),
        ("E @ h.T: logits transposed for several vectors", "def unembed(h, E):\n    return E @ h.T\n"),
        ("softmax applied: probabilities instead of logits", "def unembed(h, E):\n    return softmax(h @ E.T)\n"),
        ("E @ h: column-vector habit, wrong for T vectors", "def unembed(h, E):\n    return E @ h\n"),
        ("untied: the pseudo-inverse of E undoes the embedding",
         "def unembed(h, E):\n    return h @ np.linalg.pinv(E)\n"),
        ("cosine similarity: E's rows normalized",
         "def unembed(h, E):\n    return h @ (E / np.linalg.norm(E, axis=1, keepdims=True)).T\n"),
    ],
    "forward": [
        ("the first token asks", _forward(asker="0")),
        ("scores scaled by sqrt(d)", _forward(scale=" / np.sqrt(X.shape[-1])")),
        ("attention residual forgotten", _forward(h1="w @ X")),
        ("returns probabilities", _forward(out="softmax(h2 @ E.T)")),
        ("MLP residual forgotten", _forward(h2=_NUDGE)),
        ("ReLU missing in the MLP", _forward(h2='h1 + (h1 @ model["W1"] + model["b1"]) @ model["W2"] + model["b2"]')),
        ("MLP skipped: logits from h1", _forward(h2="h1")),
        ("attends to the earlier tokens only, not to itself",
         _forward(h1="x + w @ X[:-1]").replace("softmax(X @ x)", "softmax(X[:-1] @ x)")),
        ("h2 @ E: the unembedding not transposed", _forward(out="h2 @ E")),
    ],
}
