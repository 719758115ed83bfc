"""Fit the tiny model that rungs 5-7 run, and write reference/tinygpt.json.

Usage: .venv/bin/python scripts/fit_tinygpt.py

The model (reference.block.forward): X = E[ids]; the last token asks, a = softmax(X @ x_last);
h1 = x_last + a @ X; h2 = mlp_block(h1, W1, b1, W2, b2); logits = h2 @ E.T.
The fit chooses E (V, 3), W1 (3, 6), b1 (6,), W2 (6, 3), b2 (3,) so that greedy generation of 4 words from
"a fluffy blue creature" gives "roamed the forest ." with P(roamed) about 0.80, the rest of that step's mass
going to plausible alternatives (so temperature and top-p have something to show). Deterministic: one seed,
L-BFGS with its fixed budget of evaluations; the weights are rounded to DECIMALS and checked again after
rounding, so running the script twice writes the same file. (The fit is not unique: rotating the 3-D space,
E -> E R, W1 -> Rᵀ W1, W2 -> W2 R, b2 -> b2 R, changes no logit. Another machine's floating-point rounding may
therefore land on other, equally good weights; the asserts hold the promises either way.)
"""

import json
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

from reference.attention import softmax
from reference.block import forward

VOCAB = [
    "a", "fluffy", "blue", "creature", "roamed", "the", "forest", ".",
    "wandered", "slept", "meadow", "river", "small", "red",
]
PROMPT = "a fluffy blue creature"
CONTINUATION = "roamed the forest ."
P_ROAMED_RANGE = (0.75, 0.85)

# The next-word distribution each context should have; the mass not listed goes to the other words, in
# whatever proportions the fit finds (a rank-3 tied unembedding cannot place every small probability).
TARGETS = [
    ("a fluffy blue creature", {"roamed": 0.80, "wandered": 0.11, "slept": 0.05}),
    ("a fluffy blue creature roamed", {"the": 0.85, "a": 0.08}),
    ("a fluffy blue creature roamed the", {"forest": 0.75, "meadow": 0.14, "river": 0.07}),
    ("a fluffy blue creature roamed the forest", {".": 0.88}),
]

D, D_FF = 3, 6
SHAPES = {"E": (len(VOCAB), D), "W1": (D, D_FF), "b1": (D_FF,), "W2": (D_FF, D), "b2": (D,)}
SEED = 0
WEIGHT_DECAY = 1e-3  # keeps the weights small enough to read in a notebook
DECIMALS = 3
OUT = Path(__file__).resolve().parent.parent / "reference" / "tinygpt.json"


def unpack(theta):
    """Split the flat parameter vector theta into the model dict {name: array of SHAPES[name]}."""
    model, start = {}, 0
    for name, shape in SHAPES.items():
        size = int(np.prod(shape))
        model[name] = theta[start:start + size].reshape(shape)
        start += size
    return model


def loss(theta, problems):
    """Cross-entropy of each target distribution, with the unlisted words pooled into one "other" outcome.

    problems: list of (ids, listed word ids, listed probabilities). Pooling the rest lets the fit spend
    its few dimensions on the words that matter instead of on an exact shape for the tail.
    """
    model = unpack(theta)
    total = 0.0
    for ids, listed, p in problems:
        logp = np.log(softmax(forward(model, ids)))
        rest = np.ones(len(VOCAB), dtype=bool)
        rest[listed] = False
        log_other = np.log(np.exp(logp[rest]).sum())
        total -= p @ logp[listed] + (1.0 - p.sum()) * log_other
    return total + WEIGHT_DECAY * theta @ theta


def encode(text):
    """Word ids of a whitespace-separated text over VOCAB."""
    return [VOCAB.index(word) for word in text.split()]


def fit():
    """One L-BFGS run from a small random start drawn with SEED: the model dict.

    (Restarts from other seeds all ended within 0.01 of the same loss, so one run is enough.)
    """
    problems = [
        (encode(context), [VOCAB.index(w) for w in target], np.array(list(target.values())))
        for context, target in TARGETS
    ]
    size = sum(int(np.prod(shape)) for shape in SHAPES.values())
    theta0 = np.random.default_rng(SEED).normal(0.0, 0.5, size)
    # finite-difference gradients; L-BFGS stops at its default budget of evaluations, the same every run
    result = minimize(loss, theta0, args=(problems,), method="L-BFGS-B")
    return unpack(result.x)


def rounded(model):
    """The model with every weight rounded to DECIMALS (and -0.0 written as 0.0)."""
    return {name: np.round(W, DECIMALS) + 0.0 for name, W in model.items()}


def check(model):
    """Assert the promises of the tiny model with reference.block.forward; return P(roamed | PROMPT)."""
    ids = encode(PROMPT)
    for _ in CONTINUATION.split():
        ids.append(int(np.argmax(forward(model, ids))))  # greedy: append the most likely word
    got = " ".join(VOCAB[i] for i in ids)
    assert got == f"{PROMPT} {CONTINUATION}", f"greedy generation gives {got!r}"
    p_roamed = float(softmax(forward(model, encode(PROMPT)))[VOCAB.index("roamed")])
    low, high = P_ROAMED_RANGE
    assert low <= p_roamed <= high, f"P(roamed | {PROMPT!r}) = {p_roamed:.3f}, expected in [{low}, {high}]"
    return p_roamed


def to_json(model):
    """The file's text: VOCAB and MODEL, one matrix row per line so a reader can see the weights."""
    def row(values):
        return json.dumps([float(v) for v in values])

    parts = []
    for name, W in model.items():
        if W.ndim == 1:
            parts.append(f'    "{name}": {row(W)}')
        else:
            rows = ",\n".join(f"      {row(r)}" for r in W)
            parts.append(f'    "{name}": [\n{rows}\n    ]')
    body = ",\n".join(parts)
    return f'{{\n  "VOCAB": {json.dumps(VOCAB)},\n  "MODEL": {{\n{body}\n  }}\n}}\n'


def report(model):
    """Print each target context's top next words, for the person running the fit."""
    for context, _ in TARGETS:
        probs = softmax(forward(model, encode(context)))
        top = np.argsort(-probs, kind="stable")[:4]
        print(f"{context!r:45} -> " + ", ".join(f"{VOCAB[i]} {probs[i]:.3f}" for i in top))


def main():
    model = fit()
    check(model)
    model = rounded(model)
    p_roamed = check(model)  # the promise must survive rounding, on the exact numbers written
    OUT.write_text(to_json(model))
    report(model)
    print(f"P(roamed | {PROMPT!r}) = {p_roamed:.4f}; wrote {OUT}")


if __name__ == "__main__":
    main()
