"""Rung 8 (08_transformer): positional encoding, layer norm, RMSNorm, GELU, the pre-LN block and a whole GPT.

As in rungs 4 and 5, each compare names the common mistake whose result equals the student's on the same inputs.
The cases of transformer_block and gpt_forward are whole small models; their mistakes are recomputed here with
the reference's own pieces, one knob turned at a time (`_block`, `_forward`).
"""

import json
from pathlib import Path

import numpy as np

from autograder.spec import Case, Spec, arguments, compare_default, naming_mistakes
from reference import transformer
from reference.attention import multi_head_attention

SMALL = json.loads((Path(transformer.__file__).parent / "smallgpt.json").read_text())  # the notebook's model
PROMPT = "a fluffy blue creature roamed the"  # one case of the real model: its weights are most of a case file


def _small():
    """The small GPT's params (fresh arrays for each case) and its vocabulary."""
    params = {key: np.array(SMALL[key], dtype=float) for key in ("E", "P", "lnf_g", "lnf_b")}
    params["blocks"] = [{key: np.array(value, dtype=float) for key, value in b.items()} for b in SMALL["blocks"]]
    return params, SMALL["VOCAB"]


def _round(x):
    return np.round(x, 2)  # readable in a message, and still generic


# ---- positional_encoding ----


def _pe_cases(rng):
    cases = [Case((1, 4)), Case((3, 4)), Case((2, 6)), Case((4, 2)), Case((0, 4)), Case((6, 8))]
    for _ in range(3):
        cases.append(Case((int(rng.integers(2, 9)), 2 * int(rng.integers(1, 9)))))
    return cases


def _pe(T, d, exponent=lambda j, d: 2 * (j // 2) / d, swap=False, start=0, halves=False, multiply=False):
    """Sinusoids with the knobs the mistakes turn: column j's frequency exponent, sin/cos swapped, the first
    position, [sin | cos] in two halves instead of interleaved, t multiplied by 10000^x instead of divided."""
    t = np.arange(start, start + T, dtype=float)[:, None]
    j = np.arange(d)
    if halves:
        angle = t / 10000.0 ** (2 * (j % (d // 2)) / d)
        return np.where(j < d // 2, np.sin(angle), np.cos(angle))
    angle = t * 10000.0 ** exponent(j, d) if multiply else t / 10000.0 ** exponent(j, d)
    even = j % 2 == 0
    return np.where(even != swap, np.sin(angle), np.cos(angle))


def _pe_mistakes(case):
    T, d = arguments(case, "T", "d")
    yield "sin and cos swapped: the even columns 2i hold sin, the odd columns 2i+1 hold cos", \
        lambda: _pe(T, d, swap=True)
    yield ("the exponent is 2i/d with i the pair's index (columns 2i and 2i+1 share it); you used i/d",
           lambda: _pe(T, d, exponent=lambda j, d: (j // 2) / d))
    yield ("used the column index j in 10000^(j/d): columns 2i and 2i+1 share one frequency, 10000^(2i/d)",
           lambda: _pe(T, d, exponent=lambda j, d: j / d))
    yield "positions start at t = 0 (the first row is [0, 1, 0, 1, ...]); you started at 1", \
        lambda: _pe(T, d, start=1)
    yield "sines and cosines must alternate column by column (sin, cos, sin, cos, ...), not two halves", \
        lambda: _pe(T, d, halves=True)
    yield "multiplied t by 10000^(2i/d): divide, t / 10000^(2i/d), so later columns turn slower", \
        lambda: _pe(T, d, multiply=True)
    yield "returned (d, T): one row per position, shape (T, d)", lambda: _pe(T, d).T


# ---- layer_norm ----


def _ln_cases(rng):
    d3 = (np.ones(3), np.zeros(3))
    X = np.array([[1.0, 2.0, 3.0, 6.0], [-2.0, 0.0, 0.0, 2.0], [10.0, 10.5, 9.0, 12.0]])
    gamma, beta = np.array([1.0, 2.0, 0.5, 1.0]), np.array([0.0, 0.1, -0.2, 1.0])
    cases = [
        Case((np.array([1.0, 2.0, 3.0]), *d3)),
        Case((X, gamma, beta)),  # T = 3 tokens of d = 4: each row normalized on its own
        Case((np.array([[1.0, 5.0], [3.0, 3.0], [0.0, 2.0]]), np.ones(2), np.zeros(2))),  # a constant row
        Case((np.array([0.0, 0.01, 0.02]), *d3)),  # a tiny variance: eps inside the square root matters
        Case((np.array([0.0, 0.01, 0.02]), *d3), {"eps": 1e-3}),
        Case((np.array([[1, 2], [4, 0]]), np.array([2.0, 1.0]), np.array([0.0, 1.0]))),  # integer x
        Case((1000.0 + X, gamma, beta)),  # a large offset: the mean is removed first
    ]
    for shape in ((5, 4), (2, 3, 6), (4, 8)):
        d = shape[-1]
        cases.append(Case((_round(rng.normal(2.0, 3.0, size=shape)), _round(rng.normal(1.0, 0.3, size=d)),
                           _round(rng.normal(0.0, 0.3, size=d)))))
    return cases


def _ln(x, gamma, beta, eps=1e-5, axis=-1, ddof=0, eps_outside=False, var=False):
    mu = x.mean(axis=axis, keepdims=True)
    v = x.var(axis=axis, keepdims=True, ddof=ddof)
    scale = v + eps if var else (np.sqrt(v) + eps if eps_outside else np.sqrt(v + eps))
    return (x - mu) / scale * gamma + beta


def _ln_mistakes(case):
    x, gamma, beta, eps = arguments(case, "x", "gamma", "beta", "eps", eps=1e-5)
    x = np.asarray(x, dtype=float)
    yield "variance with ddof=1: layer norm uses the population variance, mean((x - mean)²), divided by d", \
        lambda: _ln(x, gamma, beta, eps, ddof=1)
    if x.ndim > 1:
        yield "normalized over the wrong axis: each token (row) is normalized over its own d features, axis=-1", \
            lambda: _ln(x, gamma, beta, eps, axis=0)
        yield "normalized over the whole array: take mean and variance per token, axis=-1 with keepdims=True", \
            lambda: _ln(x, gamma, beta, eps, axis=None)
    yield "put eps outside the square root: divide by sqrt(var + eps)", \
        lambda: _ln(x, gamma, beta, eps, eps_outside=True)
    yield "divided by the variance: divide by the standard deviation sqrt(var + eps)", \
        lambda: _ln(x, gamma, beta, eps, var=True)
    yield "forgot gamma and beta: scale by gamma, then add beta", lambda: _ln(x, 1.0, 0.0, eps)
    yield "swapped gamma and beta: the result is normalized * gamma + beta", lambda: _ln(x, beta, gamma, eps)
    yield "ignored eps: use sqrt(var + eps), with the eps you were given", lambda: _ln(x, gamma, beta, 1e-5)
    yield "forgot to subtract the mean", lambda: x / np.sqrt(x.var(axis=-1, keepdims=True) + eps) * gamma + beta


# ---- rms_norm ----


def _rms_cases(rng):
    cases = [
        Case((np.array([3.0, 4.0]), np.ones(2))),
        Case((np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.5, 2.0]))),
        Case((np.array([[1.0, 1.0, 1.0, 1.0], [2.0, -2.0, 2.0, -2.0], [0.0, 0.0, 0.0, 0.0]]), np.ones(4))),  # zeros
        Case((np.array([0.001, -0.002, 0.002]), np.ones(3))),  # tiny values: eps inside the square root matters
        Case((np.array([0.001, -0.002, 0.002]), np.ones(3)), {"eps": 1e-4}),
        Case((np.array([[3, 4], [1, 0]]), np.array([1.0, 2.0]))),  # integer x
    ]
    for shape in ((5, 4), (2, 3, 6), (4, 8)):
        cases.append(Case((_round(rng.normal(1.0, 2.0, size=shape)), _round(rng.normal(1.0, 0.3, size=shape[-1])))))
    return cases


def _rms(x, gamma, eps=1e-5, axis=-1, root=True, center=False, norm=False, eps_outside=False):
    if center:
        x = x - x.mean(axis=axis, keepdims=True)
    ms = (x**2).sum(axis=axis, keepdims=True) if norm else (x**2).mean(axis=axis, keepdims=True)
    scale = (np.sqrt(ms) + eps if eps_outside else np.sqrt(ms + eps)) if root else ms + eps
    return x / scale * gamma


def _rms_mistakes(case):
    x, gamma, eps = arguments(case, "x", "gamma", "eps", eps=1e-5)
    x = np.asarray(x, dtype=float)
    yield "subtracted the mean: RMSNorm does not centre, x / sqrt(mean(x²) + eps) * gamma", \
        lambda: _rms(x, gamma, eps, center=True)
    yield "forgot the square root: divide by sqrt(mean(x²) + eps), the root mean square", \
        lambda: _rms(x, gamma, eps, root=False)
    yield "divided by the L2 norm: the RMS is sqrt(mean(x²)), the norm divided by √d", \
        lambda: _rms(x, gamma, eps, norm=True)
    yield "put eps outside the square root: sqrt(mean(x²) + eps)", lambda: _rms(x, gamma, eps, eps_outside=True)
    if x.ndim > 1:
        yield "took the mean over the wrong axis: each token (row) over its own d features, axis=-1", \
            lambda: _rms(x, gamma, eps, axis=0)
    yield "forgot gamma: multiply the normalized x by gamma", lambda: _rms(x, 1.0, eps)
    yield "ignored eps: use sqrt(mean(x²) + eps), with the eps you were given", lambda: _rms(x, gamma, 1e-5)
    yield "RMS without the eps: an all-zero vector gives 0 / 0 = NaN; add eps inside the root", \
        lambda: _rms(x, gamma, 0.0)


# ---- gelu ----


def _gelu_cases(rng):
    return [
        Case((0.0,)),
        Case((1.0,)),
        Case((-1.0,)),
        Case((np.array([-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0]),)),
        Case((np.array([[-30.0, 30.0], [-8.0, 8.0]]),)),  # far out: 0 on the left, the identity on the right
        Case((np.array([-2, 0, 2]),)),  # integer z
        Case((np.array([np.nan, 1.0]),)),  # NaN passes through an elementwise function
        Case((_round(rng.normal(0, 2, size=(3, 4))),)),
        Case((_round(rng.normal(0, 2, size=(2, 2, 3))),)),
    ]


def _tanh_gelu(z, c=np.sqrt(2 / np.pi), a=0.044715, power=3, half=0.5):
    return half * z * (1 + np.tanh(c * (z + a * z**power)))


def _erf_gelu(z):
    from scipy.special import erf

    return 0.5 * z * (1 + erf(z / np.sqrt(2)))


def _gelu_mistakes(case):
    (z,) = arguments(case, "z")
    z = np.asarray(z, dtype=float)
    yield "forgot the 0.044715 z³ term: tanh(√(2/π) (z + 0.044715 z³))", lambda: _tanh_gelu(z, a=0.0)
    yield "used the sigmoid form z σ(1.702 z): GPT-2's GELU is the tanh form", lambda: z / (1 + np.exp(-1.702 * z))
    yield "used the exact erf form: this rung asks for GPT-2's tanh form 0.5 z (1 + tanh(√(2/π)(z + 0.044715 z³)))", \
        lambda: _erf_gelu(z)
    yield "wrote z² for z³ inside the tanh", lambda: _tanh_gelu(z, power=2)
    yield "forgot the 0.5 in front", lambda: _tanh_gelu(z, half=1.0)
    yield "the constant is √(2/π) ≈ 0.7979, not 2/π", lambda: _tanh_gelu(z, c=2 / np.pi)
    yield "the constant is √(2/π) ≈ 0.7979, not √2/π", lambda: _tanh_gelu(z, c=np.sqrt(2) / np.pi)
    yield "returned a ReLU: GELU is smooth, 0.5 z (1 + tanh(...))", lambda: np.maximum(z, 0.0)


# ---- transformer_block ----


def _random_block(rng, d, d_ff, scale=0.5):
    def W(*shape):
        return _round(rng.normal(0, scale, size=shape))

    return {"ln1_g": _round(rng.normal(1, 0.2, size=d)), "ln1_b": W(d), "W_Q": W(d, d), "W_K": W(d, d),
            "W_V": W(d, d), "W_O": W(d, d), "ln2_g": _round(rng.normal(1, 0.2, size=d)), "ln2_b": W(d),
            "W1": W(d, d_ff), "b1": W(d_ff), "W2": W(d_ff, d), "b2": W(d)}


def _readable_block(d=4, d_ff=4):
    """A block a reader can follow: identity projections, unit layer norms, a small MLP."""
    I = np.eye(d)
    W1 = np.zeros((d, d_ff))
    W1[0, 0], W1[1, 1] = 1.0, -1.0
    return {"ln1_g": np.ones(d), "ln1_b": np.zeros(d), "W_Q": I, "W_K": I, "W_V": I, "W_O": I,
            "ln2_g": np.ones(d), "ln2_b": np.zeros(d), "W1": W1, "b1": np.zeros(d_ff), "W2": W1.T.copy(),
            "b2": np.zeros(d)}


def _block_cases(rng):
    X = np.array([[1.0, 0.0, 2.0, 1.0], [0.0, 3.0, 1.0, -1.0], [2.0, 2.0, 0.0, 0.0]])
    cases = [
        Case((X, _readable_block(), 1)),
        Case((X, _readable_block(), 2)),
        Case((X, _readable_block(), 2), {"causal": False}),
        Case((X[:1], _readable_block(), 1)),  # T = 1: the one token attends to itself
        Case((X, {**_readable_block(), "extra": np.zeros(2)}, 2)),  # a key the block does not use
    ]
    for T, d, d_ff, n_heads, causal in ((4, 4, 8, 2, True), (5, 6, 12, 3, False), (3, 8, 16, 2, True),
                                        (6, 4, 6, 1, True)):
        cases.append(Case((_round(rng.normal(0, 1.5, size=(T, d))), _random_block(rng, d, d_ff), n_heads),
                          {"causal": causal}))
    return cases


def _relu(z):
    return np.maximum(z, 0.0)


def _block(X, b, n_heads, causal, order="pre", act=transformer.gelu, ln=True, mlp_residual=True, attn_residual=True,
           biases=True, ln2_is_ln1=False):
    """One block with the knobs the mistakes turn: "post" LN (normalize after adding), the activation, no layer
    norms at all, the residuals, the MLP's biases, the first layer norm's parameters reused for the second."""
    def norm(x, which):
        if not ln:
            return x
        g, beta = (b["ln1_g"], b["ln1_b"]) if which == 1 or ln2_is_ln1 else (b["ln2_g"], b["ln2_b"])
        return transformer.layer_norm(x, g, beta)

    def attend(x):
        return multi_head_attention(x, b["W_Q"], b["W_K"], b["W_V"], b["W_O"], n_heads, causal)[0]

    def mlp(x):
        return act(x @ b["W1"] + (b["b1"] if biases else 0.0)) @ b["W2"] + (b["b2"] if biases else 0.0)

    if order == "post":  # the original 2017 transformer: X = LN(X + sublayer(X))
        X = norm(X + attend(X), 1)
        return norm(X + mlp(X), 2)
    X = (X if attn_residual else 0.0) + attend(norm(X, 1))
    return (X if mlp_residual else 0.0) + mlp(norm(X, 2))


def _block_mistakes(case):
    X, b, n_heads, causal = arguments(case, "X", "block", "n_heads", "causal", causal=True)
    X = np.asarray(X, dtype=float)
    yield ("post-LN instead of pre-LN: GPT-2 normalizes the sublayer's input, X + attn(layer_norm(X)), "
           "and leaves the residual stream itself unnormalized"), lambda: _block(X, b, n_heads, causal, "post")
    yield "used ReLU in the MLP: GPT-2's MLP uses gelu", lambda: _block(X, b, n_heads, causal, act=_relu)
    yield "used the erf GELU: this rung's gelu is the tanh form", \
        lambda: _block(X, b, n_heads, causal, act=_erf_gelu)
    yield "left out the layer norms: attention and MLP read layer_norm(X), with ln1 and ln2", \
        lambda: _block(X, b, n_heads, causal, ln=False)
    yield "forgot the MLP's residual: X = X + mlp(layer_norm(X, ln2_g, ln2_b))", \
        lambda: _block(X, b, n_heads, causal, mlp_residual=False)
    yield "forgot the attention's residual: X = X + multi_head_attention(layer_norm(X, ln1_g, ln1_b), ...)[0]", \
        lambda: _block(X, b, n_heads, causal, attn_residual=False)
    yield ("ignored causal=True: pass causal to multi_head_attention" if causal
           else "applied the causal mask although causal=False"), lambda: _block(X, b, n_heads, not causal)
    yield "forgot b1 or b2 in the MLP", lambda: _block(X, b, n_heads, causal, biases=False)
    yield "used ln1_g, ln1_b for the second layer norm too: the MLP reads layer_norm(X, ln2_g, ln2_b)", \
        lambda: _block(X, b, n_heads, causal, ln2_is_ln1=True)


# ---- gpt_forward ----


def _random_params(rng, V, d, d_ff, n_layers, t_max):
    return {"E": _round(rng.normal(0, 1, size=(V, d))), "P": transformer.positional_encoding(t_max, d),
            "blocks": [_random_block(rng, d, d_ff, scale=0.4) for _ in range(n_layers)],
            "lnf_g": _round(rng.normal(1, 0.2, size=d)), "lnf_b": _round(rng.normal(0, 0.2, size=d))}


def _forward_cases(rng):
    small, vocab = _small()
    n_heads = SMALL["n_heads"]
    readable = {"E": np.array([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]]),
                "P": transformer.positional_encoding(4, 4), "blocks": [_readable_block()],
                "lnf_g": np.ones(4), "lnf_b": np.zeros(4)}
    cases = [
        Case((readable, np.array([0, 2, 1]), 1)),
        Case((readable, np.array([2]), 2)),  # one token
        Case((readable, [1, 1, 0, 2], 2), {"causal": False}),  # ids as a list; T = T_max
        Case(({**readable, "blocks": []}, np.array([0, 1]), 1)),  # no blocks: norms has the one row 0
    ]
    cases.append(Case((small, np.array([vocab.index(w) for w in PROMPT.split()]), n_heads)))
    for V, d, d_ff, L, T, n_heads, causal in ((7, 4, 8, 2, 5, 2, True), (9, 8, 16, 3, 6, 2, True),
                                              (5, 6, 6, 1, 4, 3, False)):
        cases.append(Case((_random_params(rng, V, d, d_ff, L, 8), rng.integers(0, V, size=T), n_heads),
                          {"causal": causal}))
    return cases


def _forward(params, ids, n_heads, causal, positions=True, final_ln=True, norms_after_ln=False, p_of_ids=False,
             block=_block, squared=False):
    """gpt_forward with the knobs the mistakes turn."""
    E = np.asarray(params["E"], dtype=float)
    ids = np.asarray(ids)
    P = np.asarray(params["P"], dtype=float)
    X = E[ids] + ((P[ids] if p_of_ids else P[: len(ids)]) if positions else 0.0)
    rows = [X]
    for b in params["blocks"]:
        X = block(X, b, n_heads, causal)
        rows.append(X)
    F = transformer.layer_norm(X, params["lnf_g"], params["lnf_b"]) if final_ln else X
    if norms_after_ln:
        rows[-1] = F
    norms = np.stack([(r**2).sum(axis=1) if squared else np.linalg.norm(r, axis=1) for r in rows])
    return F @ E.T, norms


def _forward_mistakes(case):
    params, ids, n_heads, causal = arguments(case, "params", "ids", "n_heads", "causal", causal=True)
    args = (params, ids, n_heads, causal)
    yield "positions not added: X = E[ids] + P[:T] before the first block", lambda: _forward(*args, positions=False)
    yield "forgot the final layer norm: logits = layer_norm(X, lnf_g, lnf_b) @ E.T", \
        lambda: _forward(*args, final_ln=False)
    yield "norms after the final layer norm: norms[L] is the residual stream before it", \
        lambda: _forward(*args, norms_after_ln=True)
    yield "indexed P by the token ids: P[t] belongs to position t, so add P[:T]", lambda: _forward(*args, p_of_ids=True)
    yield "post-LN blocks: GPT-2's blocks are pre-LN, X + attn(layer_norm(X))", \
        lambda: _forward(*args, block=lambda X, b, h, c: _block(X, b, h, c, "post"))
    yield ("ignored causal=True: every block passes causal to its attention" if causal
           else "applied the causal mask although causal=False"), lambda: _forward(params, ids, n_heads, not causal)
    yield "squared norms: norms are the L2 norms sqrt(sum(x²)) of each token's residual vector", \
        lambda: _forward(*args, squared=True)
    yield "returned norms as (T, L + 1): one row per layer, norms[l, t]", lambda: _transposed_norms(*args)


def _transposed_norms(*args):
    logits, norms = _forward(*args)
    return logits, norms.T


def _compare_forward(expected, got, case):
    reason = naming_mistakes(_forward_mistakes)(expected, got, case)
    if reason is None or reason != compare_default(expected, got, case):
        return reason  # a match, or a named mistake
    if not (isinstance(got, (tuple, list)) and len(got) == 2):
        return "return a tuple (logits, norms): logits (T, V), norms (L + 1, T)"
    logits, norms = expected
    got_logits, got_norms = got
    if not isinstance(got_norms, np.ndarray) or got_norms.shape != norms.shape:
        shape = getattr(got_norms, "shape", None)
        return (f"norms has shape {shape}, expected {norms.shape}: one row before any block, then one per block "
                f"(L + 1 rows), one column per token")
    if not np.allclose(got_norms[0], norms[0], rtol=1e-6, atol=1e-9):
        return "norms row 0 should be the L2 norm of each row of E[ids] + P[:T], before any block"
    if not np.allclose(got_norms, norms, rtol=1e-6, atol=1e-9):
        row = int(np.argmax(~np.isclose(got_norms, norms, rtol=1e-6, atol=1e-9).all(axis=1)))
        return f"norms row {row} (after block {row}) differs: check the block, and take the norm after each one"
    if not isinstance(got_logits, np.ndarray) or got_logits.shape != logits.shape:
        return (f"logits has shape {getattr(got_logits, 'shape', None)}, expected {logits.shape}: "
                "one row of V logits per token")
    return "the norms match but the logits differ: logits = layer_norm(X, lnf_g, lnf_b) @ E.T (tied)"


SPECS = [
    Spec(
        name="positional_encoding",
        reference=transformer.positional_encoding,
        cases=_pe_cases,
        hint="PE[t, 2i] = sin(t / 10000^(2i/d)), PE[t, 2i+1] = cos(t / 10000^(2i/d)), t from 0, shape (T, d)",
        compare=naming_mistakes(_pe_mistakes),
    ),
    Spec(
        name="layer_norm",
        reference=transformer.layer_norm,
        cases=_ln_cases,
        hint="over the last axis: (x - mean) / sqrt(var + eps) * gamma + beta, var the population variance",
        compare=naming_mistakes(_ln_mistakes),
    ),
    Spec(
        name="rms_norm",
        reference=transformer.rms_norm,
        cases=_rms_cases,
        hint="over the last axis: x / sqrt(mean(x²) + eps) * gamma, no mean subtracted, no beta",
        compare=naming_mistakes(_rms_mistakes),
    ),
    Spec(
        name="gelu",
        reference=transformer.gelu,
        cases=_gelu_cases,
        hint="0.5 z (1 + tanh(√(2/π) (z + 0.044715 z³))), elementwise, for a number or any array",
        compare=naming_mistakes(_gelu_mistakes),
    ),
    Spec(
        name="transformer_block",
        reference=transformer.transformer_block,
        cases=_block_cases,
        hint=("X = X + multi_head_attention(layer_norm(X, ln1_g, ln1_b), W_Q, W_K, W_V, W_O, n_heads, causal)[0]; "
              "then X = X + gelu(layer_norm(X, ln2_g, ln2_b) @ W1 + b1) @ W2 + b2"),
        compare=naming_mistakes(_block_mistakes),
    ),
    Spec(
        name="gpt_forward",
        reference=transformer.gpt_forward,
        cases=_forward_cases,
        hint=("X = E[ids] + P[:T]; norms row 0; each block in order, a norms row after each; "
              "logits = layer_norm(X, lnf_g, lnf_b) @ E.T; return (logits, norms)"),
        compare=_compare_forward,
    ),
]
