"""Rung 5 (05_block): the MLP block with its residual, the tied unembedding, the tiny model's forward pass.

As in rung 4, each compare names the common mistake whose result equals the student's on the same inputs.
"""

import numpy as np

from autograder.spec import Case, Spec, arguments, naming_mistakes
from autograder.specs.attention import stable_softmax
from reference import block, tinygpt

PROMPTS = ("a fluffy blue creature", "a small red creature", "the forest", "a", "a fluffy blue creature roamed the")


def _tiny():
    """The tiny model's (VOCAB, MODEL), a fresh copy of the arrays for each case."""
    return list(tinygpt.VOCAB), {key: np.array(value, dtype=float) for key, value in tinygpt.MODEL.items()}


def _relu(z):
    return np.maximum(z, 0.0)


# ---- mlp_block ----


def _mlp_cases(rng):
    h = np.array([1.0, -1.0, 0.5])
    W1 = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, -1.0]])
    b1 = np.array([0.0, 0.5])
    W2 = np.array([[1.0, 0.0, -1.0], [0.5, 0.5, 0.5]])
    b2 = np.array([0.1, 0.2, 0.3])
    cases = [
        Case((h, W1, b1, W2, b2)),
        Case((np.stack([h, -h]), W1, b1, W2, b2)),  # two token vectors, one per row
        Case((h, W1, b1, np.zeros((2, 3)), np.zeros(3))),  # nothing learned: the residual passes h through
        Case((np.array([2, -1, 1]), W1, b1, W2, b2)),  # an integer h: the result is float all the same
        Case((np.stack([h, -h, 2 * h]), W1, b1, W2, b2)),  # T = 3 = d: row vectors, weights from the right
    ]
    _, m = _tiny()
    cases.append(Case((rng.normal(size=3), m["W1"], m["b1"], m["W2"], m["b2"])))
    for shape, d_ff in (((4,), 6), ((5, 4), 8), ((2, 3), 3)):
        d = shape[-1]
        cases.append(Case((rng.normal(size=shape), rng.normal(size=(d, d_ff)), rng.normal(size=d_ff),
                           rng.normal(size=(d_ff, d)), rng.normal(size=d))))
    return cases


def _mlp_mistakes(case):
    h, W1, b1, W2, b2 = arguments(case, "h", "W1", "b1", "W2", "b2")
    yield "forgot the residual: the block returns h + relu(h @ W1 + b1) @ W2 + b2", \
        lambda: _relu(h @ W1 + b1) @ W2 + b2
    yield "applied ReLU after W2 as well: only the hidden layer h @ W1 + b1 goes through ReLU", \
        lambda: h + _relu(_relu(h @ W1 + b1) @ W2 + b2)
    yield "applied ReLU to the whole sum: ReLU acts on the hidden layer only, then add h", \
        lambda: _relu(h + _relu(h @ W1 + b1) @ W2 + b2)
    yield "forgot the ReLU: relu(h @ W1 + b1), not h @ W1 + b1", lambda: h + (h @ W1 + b1) @ W2 + b2
    yield "forgot b1: the hidden layer is h @ W1 + b1", lambda: h + _relu(h @ W1) @ W2 + b2
    yield "forgot b2: add b2 after multiplying by W2", lambda: h + _relu(h @ W1 + b1) @ W2
    yield ("used (h @ W1 + b1 > 0), the step, instead of relu: keep the value, max(z, 0)",
           lambda: h + (h @ W1 + b1 > 0) @ W2 + b2)
    yield ("multiplied column-vector style (W1.T @ h): token vectors are rows, so h @ W1 and then @ W2",
           lambda: h + W2.T @ _relu(W1.T @ h + b1) + b2)


# ---- unembed ----


def _unembed_cases(rng):
    E = np.array([[1.0, 0.0, 0.0], [0.0, 2.0, 0.0], [1.0, 1.0, 1.0], [0.0, 0.0, -1.0]])
    cases = [
        Case((np.array([1.0, 2.0, 3.0]), E)),
        Case((np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]]), E)),  # two vectors: one row of logits each
        Case((np.array([1.0, 2.0, 3.0]), np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 0.0], [3.0, 0.0, 1.0]]))),  # V == d
        Case((rng.normal(size=3), _tiny()[1]["E"])),
        Case((np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 1.0], [2.0, 0.0, 1.0]]), E)),  # T = 3 = d: h @ E.T, not E @ h
        Case((np.array([2, 0, -1]), E)),  # an integer h
    ]
    for shape, V in (((4,), 4), ((3, 5), 7), ((2,), 9)):
        cases.append(Case((rng.normal(size=shape), rng.normal(size=(V, shape[-1])))))
    return cases


def _unembed_mistakes(case):
    h, E = arguments(case, "h", "E")
    yield ("computed h @ E: E has one row per word (V, d), so the logits are h @ E.T (each word's row dotted "
           "with h)", lambda: h @ E)
    yield "returned (V, T): the logits of each vector are a row, h @ E.T has shape (T, V)", lambda: E @ h.T
    yield "returned probabilities: unembed gives the raw logits h @ E.T (no softmax)", lambda: stable_softmax(h @ E.T)
    yield "computed E @ h: for T vectors (T, d) the logits are h @ E.T, one row per vector", lambda: E @ h
    yield ("inverted the embedding (pinv(E)): the unembedding is tied, the same E transposed, h @ E.T",
           lambda: h @ np.linalg.pinv(E))
    yield ("normalized the rows of E (cosine similarity): the logits are the plain dot products h @ E.T",
           lambda: h @ (E / np.linalg.norm(E, axis=1, keepdims=True)).T)


# ---- forward ----


def _random_model(rng, V, d, d_ff):
    return {"E": rng.normal(size=(V, d)), "W1": rng.normal(size=(d, d_ff)), "b1": rng.normal(size=d_ff),
            "W2": rng.normal(scale=0.5, size=(d_ff, d)), "b2": rng.normal(size=d)}


def _forward_cases(rng):
    vocab, model = _tiny()
    cases = [Case((model, np.array(tinygpt.encode(text)))) for text in PROMPTS]
    cases.append(Case((model, tinygpt.encode("the small creature"))))  # ids as a Python list of ints
    cases.append(Case((model, np.array(tinygpt.encode("a a a")))))  # one word repeated: every score ties
    V = len(vocab)
    cases.append(Case((model, rng.integers(0, V, size=int(rng.integers(2, 7))))))
    for V, d, d_ff, T in ((6, 4, 5, 3), (9, 3, 6, 5), (5, 2, 4, 1)):
        cases.append(Case((_random_model(rng, V, d, d_ff), rng.integers(0, V, size=T))))
    return cases


def _tiny_forward(model, ids, asker=-1, scale=False, residual=True, probs=False, mean=False, mlp_residual=True,
                  act=_relu, mlp=True, itself=True):
    """The tiny model's forward pass, with the knobs the mistakes turn."""
    E = np.asarray(model["E"], dtype=float)
    X = E[np.asarray(ids)]
    x = X[asker]
    if not itself:
        X = X[:-1]
    scores = X @ x / (np.sqrt(X.shape[-1]) if scale else 1.0)
    a = X.mean(axis=0) if mean else stable_softmax(scores) @ X
    h1 = x + a if residual else a
    nudge = act(h1 @ model["W1"] + model["b1"]) @ model["W2"] + model["b2"]
    h2 = (h1 + nudge if mlp_residual else nudge) if mlp else h1
    logits = h2 @ E.T
    return stable_softmax(logits) if probs else logits


def _forward_mistakes(case):
    model, ids = arguments(case, "model", "ids")
    yield "the first token asked: the last token (X[-1]) is the one that predicts the next word", \
        lambda: _tiny_forward(model, ids, asker=0)
    yield "divided the scores by √d: the tiny model uses no √d scaling", lambda: _tiny_forward(model, ids, scale=True)
    yield "forgot the attention residual: h1 = x_last + softmax(X @ x_last) @ X", \
        lambda: _tiny_forward(model, ids, residual=False)
    yield "returned probabilities: forward gives the logits (no softmax at the end)", \
        lambda: _tiny_forward(model, ids, probs=True)
    yield "averaged the tokens: the last token's attention weights softmax(X @ x_last) decide the mix", \
        lambda: _tiny_forward(model, ids, mean=True)
    yield "forgot the MLP's residual: h2 = h1 + relu(h1 @ W1 + b1) @ W2 + b2", \
        lambda: _tiny_forward(model, ids, mlp_residual=False)
    yield "forgot the ReLU in the MLP: relu(h1 @ W1 + b1)", lambda: _tiny_forward(model, ids, act=lambda z: z)
    yield "skipped the MLP block: the logits are h2 @ E.T with h2 = mlp_block(h1)", \
        lambda: _tiny_forward(model, ids, mlp=False)
    yield "left the last token out of the attention: it attends to every token, itself included", \
        lambda: _tiny_forward(model, ids, itself=False)


SPECS = [
    Spec(
        name="mlp_block",
        reference=block.mlp_block,
        cases=_mlp_cases,
        hint="h + relu(h @ W1 + b1) @ W2 + b2: ReLU on the hidden layer only, and the residual h added back",
        compare=naming_mistakes(_mlp_mistakes),
    ),
    Spec(
        name="unembed",
        reference=block.unembed,
        cases=_unembed_cases,
        hint="tied unembedding: logits = h @ E.T, one logit per word (row of E), shape (V,) or (T, V)",
        compare=naming_mistakes(_unembed_mistakes),
    ),
    Spec(
        name="forward",
        reference=block.forward,
        cases=_forward_cases,
        hint=("X = E[ids]; x = X[-1] asks; a = softmax(X @ x) @ X (no √d); h1 = x + a; "
              "h2 = h1 + relu(h1 @ W1 + b1) @ W2 + b2; logits = h2 @ E.T"),
        compare=naming_mistakes(_forward_mistakes),
    ),
]
