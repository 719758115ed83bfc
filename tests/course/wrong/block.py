"""Plausible wrong answers for 05_block: each must lose exactly its own function's points."""

_FORWARD = """def forward(model, ids):
    E = model["E"]
    X = E[np.asarray(ids)]
    x = X[{asker}]
    w = softmax(X @ x{scale})
    h1 = {h1}
    h2 = h1 + relu(h1 @ model["W1"] + model["b1"]) @ model["W2"] + model["b2"]
    return {out}
"""


def _forward(asker="-1", scale="", h1="x + w @ X", out="h2 @ E.T"):
    return _FORWARD.format(asker=asker, scale=scale, h1=h1, out=out)


WRONG = {
    "mlp_block": [
        ("residual forgotten", "def mlp_block(h, W1, b1, W2, b2):\n    return relu(h @ W1 + b1) @ W2 + b2\n"),
        ("ReLU after W2 as well",
         "def mlp_block(h, W1, b1, W2, b2):\n    return h + relu(relu(h @ W1 + b1) @ W2 + b2)\n"),
        ("no ReLU at all", "def mlp_block(h, W1, b1, W2, b2):\n    return h + (h @ W1 + b1) @ W2 + b2\n"),
    ],
    "unembed": [
        ("h @ E instead of h @ E.T", "def unembed(h, E):\n    return h @ E\n"),
        ("E @ h.T: logits transposed for several vectors", "def unembed(h, E):\n    return E @ h.T\n"),
        ("softmax applied: probabilities instead of logits", "def unembed(h, E):\n    return softmax(h @ E.T)\n"),
    ],
    "forward": [
        ("the first token asks", _forward(asker="0")),
        ("scores scaled by sqrt(d)", _forward(scale=" / np.sqrt(X.shape[-1])")),
        ("attention residual forgotten", _forward(h1="w @ X")),
        ("returns probabilities", _forward(out="softmax(h2 @ E.T)")),
    ],
}
