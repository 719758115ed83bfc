"""Train the small GPT that rung 8 runs, and write reference/smallgpt.json.

Usage: .venv/bin/python scripts/fit_smallgpt.py [--gradcheck]

The model is reference.transformer.gpt_forward: X = E[ids] + P[:T], L pre-LN blocks (GPT-2's order, GELU in the
MLP, causal multi-head attention), a final layer norm and the tied unembedding logits = layer_norm(X) @ Eᵀ.
P is the sinusoidal positional_encoding(T_MAX, D), fixed, so that the notebook's own positional_encoding
reproduces it; everything else is trained. Training: next-word cross-entropy at every position of the course's
few sentences, full batch, Adam, gradients by hand-written backprop (``--gradcheck`` compares them with central
differences on a smaller model first). Deterministic: one seed, a fixed number of steps. The weights are rounded
to SIGNIFICANT digits and the promises (greedy generation from PROMPT gives CONTINUATION) are checked again on
the rounded numbers, with reference.transformer itself, before the file is written.
"""

import json
import sys
from pathlib import Path

import numpy as np

from reference.tinygpt import VOCAB as TINY_VOCAB
from reference.transformer import BLOCK_KEYS, gpt_forward, positional_encoding

VOCAB = list(TINY_VOCAB) + ["cat", "sat", "on", "mat"]  # the tiny model's words, and the order-blindness example's
SENTENCES = [
    "a fluffy blue creature roamed the forest .",
    "a small red creature wandered the meadow .",
    "the small cat sat on the mat .",
    "a fluffy cat slept on the mat .",
    "the red creature slept .",
    "a blue creature wandered the river .",
    "the cat roamed the forest .",
]
PROMPT, CONTINUATION = "a fluffy blue creature", "roamed the forest ."
D, D_FF, N_LAYERS, N_HEADS, T_MAX = 16, 32, 3, 2, 8
SEED, STEPS, LR, WEIGHT_DECAY = 0, 600, 1e-2, 1e-4
SIGNIFICANT = 5
EPS = 1e-5  # layer_norm's default, as gpt_forward uses it
OUT = Path(__file__).resolve().parent.parent / "reference" / "smallgpt.json"
GELU_C, GELU_A = np.sqrt(2.0 / np.pi), 0.044715


def encode(text):
    return [VOCAB.index(word) for word in text.split()]


def init(rng, V=len(VOCAB), d=D, d_ff=D_FF, n_layers=N_LAYERS, t_max=T_MAX):
    """Small random weights; the projections into the residual stream scaled down by √(2L), as GPT-2 does."""
    down = 1.0 / np.sqrt(2 * n_layers)

    def block():
        return {"ln1_g": np.ones(d), "ln1_b": np.zeros(d), "W_Q": rng.normal(0, d**-0.5, (d, d)),
                "W_K": rng.normal(0, d**-0.5, (d, d)), "W_V": rng.normal(0, d**-0.5, (d, d)),
                "W_O": rng.normal(0, down * d**-0.5, (d, d)), "ln2_g": np.ones(d), "ln2_b": np.zeros(d),
                "W1": rng.normal(0, d**-0.5, (d, d_ff)), "b1": np.zeros(d_ff),
                "W2": rng.normal(0, down * d_ff**-0.5, (d_ff, d)), "b2": np.zeros(d)}

    return {"E": rng.normal(0, 0.5, (V, d)), "P": positional_encoding(t_max, d),
            "blocks": [block() for _ in range(n_layers)], "lnf_g": np.ones(d), "lnf_b": np.zeros(d)}


# ---- forward with a cache, and its backward: each step's local derivative next to it ----


def ln_forward(x, g, b):
    mu = x.mean(-1, keepdims=True)
    rstd = 1.0 / np.sqrt(((x - mu) ** 2).mean(-1, keepdims=True) + EPS)
    xhat = (x - mu) * rstd
    return xhat * g + b, (xhat, rstd, g)


def ln_backward(dy, cache):
    xhat, rstd, g = cache
    dxhat = dy * g
    dx = rstd * (dxhat - dxhat.mean(-1, keepdims=True) - xhat * (dxhat * xhat).mean(-1, keepdims=True))
    return dx, (dy * xhat).sum(0), dy.sum(0)  # dx, dgamma, dbeta


def gelu_and_grad(h):
    t = np.tanh(GELU_C * (h + GELU_A * h**3))
    return 0.5 * h * (1 + t), 0.5 * (1 + t) + 0.5 * h * (1 - t**2) * GELU_C * (1 + 3 * GELU_A * h**2)


def softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def block_forward(X, b, n_heads):
    T, d_a = X.shape[0], b["W_Q"].shape[1]
    d_h = d_a // n_heads
    a, ln1 = ln_forward(X, b["ln1_g"], b["ln1_b"])
    split = lambda M: M.reshape(T, n_heads, d_h).transpose(1, 0, 2)  # noqa: E731  (T, d_a) -> (H, T, d_h)
    Q, K, V = split(a @ b["W_Q"]), split(a @ b["W_K"]), split(a @ b["W_V"])
    mask = np.triu(np.full((T, T), -np.inf), k=1)
    A = softmax(Q @ K.transpose(0, 2, 1) / np.sqrt(d_h) + mask)  # (H, T, T)
    O = (A @ V).transpose(1, 0, 2).reshape(T, d_a)  # heads concatenated
    X1 = X + O @ b["W_O"]
    m, ln2 = ln_forward(X1, b["ln2_g"], b["ln2_b"])
    h = m @ b["W1"] + b["b1"]
    g, dg_dh = gelu_and_grad(h)
    return X1 + g @ b["W2"] + b["b2"], (a, ln1, Q, K, V, A, O, m, ln2, g, dg_dh)


def block_backward(dX2, b, cache, n_heads):
    a, ln1, Q, K, V, A, O, m, ln2, g, dg_dh = cache
    T, d_a = O.shape
    d_h = d_a // n_heads
    grads = {"b2": dX2.sum(0), "W2": g.T @ dX2}
    dh = (dX2 @ b["W2"].T) * dg_dh
    grads["W1"], grads["b1"] = m.T @ dh, dh.sum(0)
    dX1_ln, grads["ln2_g"], grads["ln2_b"] = ln_backward(dh @ b["W1"].T, ln2)
    dX1 = dX2 + dX1_ln
    grads["W_O"] = O.T @ dX1
    dO = (dX1 @ b["W_O"].T).reshape(T, n_heads, d_h).transpose(1, 0, 2)  # (H, T, d_h)
    dA = dO @ V.transpose(0, 2, 1)
    dV = A.transpose(0, 2, 1) @ dO
    dS = A * (dA - (dA * A).sum(-1, keepdims=True)) / np.sqrt(d_h)  # softmax's Jacobian, then the 1/√d_h
    dQ, dK = dS @ K, dS.transpose(0, 2, 1) @ Q
    merge = lambda M: M.transpose(1, 0, 2).reshape(T, d_a)  # noqa: E731
    dQ, dK, dV = merge(dQ), merge(dK), merge(dV)
    grads["W_Q"], grads["W_K"], grads["W_V"] = a.T @ dQ, a.T @ dK, a.T @ dV
    da = dQ @ b["W_Q"].T + dK @ b["W_K"].T + dV @ b["W_V"].T
    dX, grads["ln1_g"], grads["ln1_b"] = ln_backward(da, ln1)
    return dX1 + dX, grads


def loss_and_grads(params, sentences, n_heads=N_HEADS):
    """Mean next-word cross-entropy over every position of every sentence, and its gradient (P held fixed)."""
    E = params["E"]
    grads = {"E": np.zeros_like(E), "blocks": [{k: np.zeros_like(v) for k, v in b.items()} for b in params["blocks"]],
             "lnf_g": np.zeros_like(params["lnf_g"]), "lnf_b": np.zeros_like(params["lnf_b"])}
    n_targets = sum(len(ids) - 1 for ids in sentences)
    total = 0.0
    for ids in sentences:
        ids = np.asarray(ids)
        X = E[ids] + params["P"][: len(ids)]
        caches = []
        for b in params["blocks"]:
            X, cache = block_forward(X, b, n_heads)
            caches.append(cache)
        f, lnf = ln_forward(X, params["lnf_g"], params["lnf_b"])
        probs = softmax(f @ E.T)[:-1]  # the last position has no next word to predict
        targets = ids[1:]
        total -= np.log(probs[np.arange(len(targets)), targets]).sum()
        dlogits = probs.copy()
        dlogits[np.arange(len(targets)), targets] -= 1.0
        dlogits = np.vstack([dlogits, np.zeros(E.shape[0])]) / n_targets
        grads["E"] += dlogits.T @ f  # the unembedding's share of the tied E
        dX, dg, db = ln_backward(dlogits @ E, lnf)
        grads["lnf_g"] += dg
        grads["lnf_b"] += db
        for b, cache, gb in reversed(list(zip(params["blocks"], caches, grads["blocks"]))):
            dX, g = block_backward(dX, b, cache, n_heads)
            for k in g:
                gb[k] += g[k]
        np.add.at(grads["E"], ids, dX)  # the embedding's share; a repeated word adds up
    return total / n_targets, grads


# ---- training ----


def leaves(tree, prefix=()):
    """(path, array) of every trainable array of a params (or grads) tree; P is fixed, not trained."""
    for key, value in tree.items():
        if key == "P":
            continue
        if isinstance(value, list):
            for i, b in enumerate(value):
                yield from leaves(b, prefix + (key, i))
        else:
            yield prefix + (key,), value


def get(tree, path):
    for key in path:
        tree = tree[key]
    return tree


def train(params, sentences, steps=STEPS, lr=LR):
    """Adam on the full batch; the loss every 100 steps printed. Updates params in place and returns it."""
    paths = [path for path, _ in leaves(params)]
    m = {p: 0.0 for p in paths}
    v = {p: 0.0 for p in paths}
    for t in range(1, steps + 1):
        loss, grads = loss_and_grads(params, sentences)
        for p in paths:
            W, g = get(params, p), get(grads, p) + WEIGHT_DECAY * get(params, p)
            m[p] = 0.9 * m[p] + 0.1 * g
            v[p] = 0.999 * v[p] + 0.001 * g**2
            W -= lr * (m[p] / (1 - 0.9**t)) / (np.sqrt(v[p] / (1 - 0.999**t)) + 1e-8)
        if t % 100 == 0 or t == 1:
            print(f"step {t:4d}  loss {loss:.4f}")
    return params


def gradcheck():
    """The backprop against central differences on a smaller random model: the largest relative error."""
    rng = np.random.default_rng(1)
    params = init(rng, V=7, d=8, d_ff=12, n_layers=2, t_max=5)
    for _, W in leaves(params):
        W += rng.normal(0, 0.1, W.shape)  # away from gamma = 1, beta = 0 so their gradients are tested too
    sentences = [[1, 3, 2, 6, 0], [4, 4, 5]]
    _, grads = loss_and_grads(params, sentences)
    worst = 0.0
    for path, W in leaves(params):
        g = get(grads, path)
        for i in np.ndindex(W.shape):
            old = W[i]
            W[i] = old + 1e-6
            up = loss_and_grads(params, sentences)[0]
            W[i] = old - 1e-6
            down = loss_and_grads(params, sentences)[0]
            W[i] = old
            num = (up - down) / 2e-6
            worst = max(worst, abs(num - g[i]) / max(1e-8, abs(num) + abs(g[i])))
    print(f"gradient check: largest relative error {worst:.2e}")
    assert worst < 1e-5, worst


def rounded(params):
    """Every weight rounded to SIGNIFICANT digits (-0.0 written as 0.0)."""
    r = lambda W: np.array([float(f"{x:.{SIGNIFICANT}g}") for x in np.ravel(W)]).reshape(np.shape(W)) + 0.0  # noqa: E731
    return {"E": r(params["E"]), "P": r(params["P"]), "blocks": [{k: r(b[k]) for k in BLOCK_KEYS}
                                                                 for b in params["blocks"]],
            "lnf_g": r(params["lnf_g"]), "lnf_b": r(params["lnf_b"])}


def greedy(params, text, n):
    ids = encode(text)
    for _ in range(n):
        logits, _ = gpt_forward(params, ids, N_HEADS)
        ids.append(int(np.argmax(logits[-1])))
    return " ".join(VOCAB[i] for i in ids)


def check(params):
    """The promise, with reference.transformer.gpt_forward: greedy generation from PROMPT gives CONTINUATION."""
    got = greedy(params, PROMPT, len(CONTINUATION.split()))
    assert got == f"{PROMPT} {CONTINUATION}", f"greedy generation gives {got!r}"


def to_json(params):
    """The file's text: the settings, VOCAB and the weights, one matrix row per line."""
    def array(W, indent):
        if W.ndim == 1:
            return json.dumps(W.tolist())
        pad = " " * indent
        return "[\n" + ",\n".join(pad + "  " + json.dumps(row.tolist()) for row in W) + "\n" + pad + "]"

    blocks = ",\n".join("    {\n" + ",\n".join(f'      "{k}": {array(b[k], 6)}' for k in BLOCK_KEYS) + "\n    }"
                        for b in params["blocks"])
    return (f'{{\n  "VOCAB": {json.dumps(VOCAB)},\n  "n_heads": {N_HEADS},\n  "E": {array(params["E"], 2)},\n'
            f'  "P": {array(params["P"], 2)},\n  "blocks": [\n{blocks}\n  ],\n'
            f'  "lnf_g": {array(params["lnf_g"], 2)},\n  "lnf_b": {array(params["lnf_b"], 2)}\n}}\n')


def main():
    if "--gradcheck" in sys.argv:
        gradcheck()
    params = train(init(np.random.default_rng(SEED)), [encode(s) for s in SENTENCES])
    check(params)
    params = rounded(params)
    check(params)  # the promise must survive rounding, on the exact numbers written
    OUT.write_text(to_json(params))
    for sentence in SENTENCES:
        prompt = " ".join(sentence.split()[:3])
        print(f"{prompt!r:28} -> {greedy(params, prompt, 5)!r}")
    print(f"wrote {OUT} ({OUT.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
