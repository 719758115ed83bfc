"""Plausible wrong answers for 08_transformer: each must lose exactly its own function's points."""

_PE = """def positional_encoding(T, d):
    t = np.arange({start}, {start} + T)[:, None]
    j = np.arange(d)
    angle = t / 10000.0 ** ({exponent} / d)
    PE = np.where(j % 2 == 0, np.{even}(angle), np.{odd}(angle))
    return PE{transpose}
"""


def _pe(start="0", exponent="(2 * (j // 2))", even="sin", odd="cos", transpose=""):
    return _PE.format(start=start, exponent=exponent, even=even, odd=odd, transpose=transpose)


_LN = """def layer_norm(x, gamma, beta, eps=1e-5):
    x = np.asarray(x, dtype=float)
    mean = x.mean(axis={axis}, keepdims=True)
    var = x.var(axis={axis}, keepdims=True{ddof})
    return (x - mean) / {scale} * gamma{beta}
"""


def _ln(axis="-1", ddof="", scale="np.sqrt(var + eps)", beta=" + beta"):
    return _LN.format(axis=axis, ddof=ddof, scale=scale, beta=beta)


_RMS = """def rms_norm(x, gamma, eps=1e-5):
    x = np.asarray(x, dtype=float){center}
    return x / {scale} * gamma
"""


def _rms(center="", scale="np.sqrt(np.mean(x**2, axis=-1, keepdims=True) + eps)"):
    return _RMS.format(center=center, scale=scale)


_GELU = """def gelu(z):
    z = np.asarray(z, dtype=float)
    return {body}
"""


def _gelu(body):
    return _GELU.format(body=body)


_TANH = "0.5 * z * (1 + np.tanh(np.sqrt(2 / np.pi) * (z + 0.044715 * z**3)))"

_BLOCK = """def transformer_block(X, block, n_heads, causal=True):
    b = block
    X = np.asarray(X, dtype=float)
    {attention}
    h = {mlp_in} @ b["W1"] + b["b1"]
    {mlp}
    return X
"""

_ATTEND = 'multi_head_attention({a}, b["W_Q"], b["W_K"], b["W_V"], b["W_O"], n_heads, {causal})[0]'
_LN1 = 'layer_norm(X, b["ln1_g"], b["ln1_b"])'
_LN2 = 'layer_norm(X, b["ln2_g"], b["ln2_b"])'


def _block(attention="X = X + " + _ATTEND.format(a=_LN1, causal="causal"), mlp_in=_LN2,
           mlp='X = X + gelu(h) @ b["W2"] + b["b2"]'):
    return _BLOCK.format(attention=attention, mlp_in=mlp_in, mlp=mlp)


_POST = """def transformer_block(X, block, n_heads, causal=True):
    b = block
    X = np.asarray(X, dtype=float)
    X = layer_norm(X + multi_head_attention(X, b["W_Q"], b["W_K"], b["W_V"], b["W_O"], n_heads, causal)[0],
                   b["ln1_g"], b["ln1_b"])
    return layer_norm(X + gelu(X @ b["W1"] + b["b1"]) @ b["W2"] + b["b2"], b["ln2_g"], b["ln2_b"])
"""

_FORWARD = """def gpt_forward(params, ids, n_heads, causal=True):
    E = params["E"]
    ids = np.asarray(ids)
    X = E[ids]{positions}
    norms = [{norm0}]
    for b in params["blocks"]:
        X = transformer_block(X, b, n_heads, {causal})
        norms.append(np.linalg.norm(X, axis=1))
    F = {final}
    {after}
    return F @ E.T, np.stack(norms)
"""


def _forward(positions=' + params["P"][: len(ids)]', norm0="np.linalg.norm(X, axis=1)", causal="causal",
             final='layer_norm(X, params["lnf_g"], params["lnf_b"])', after="pass"):
    return _FORWARD.format(positions=positions, norm0=norm0, causal=causal, final=final, after=after)


WRONG = {
    "positional_encoding": [
        ("sin and cos swapped", _pe(even="cos", odd="sin")),
        ("the exponent i/d with i the pair's index, not 2i/d", _pe(exponent="(j // 2)")),
        ("the column index j in 10000^(j/d) for every column", _pe(exponent="j")),
        ("positions counted from 1", _pe(start="1")),
        ("returned (d, T)", _pe(transpose=".T")),
        ("sines in the first half, cosines in the second", """def positional_encoding(T, d):
    t = np.arange(T)[:, None]
    angle = t / 10000.0 ** (2 * np.arange(d // 2) / d)
    return np.concatenate([np.sin(angle), np.cos(angle)], axis=1)
"""),
    ],
    "layer_norm": [
        ("variance with ddof=1", _ln(ddof=", ddof=1")),
        ("normalized over axis 0, across tokens", _ln(axis="0")),
        ("eps outside the square root", _ln(scale="(np.sqrt(var) + eps)")),
        ("divided by the variance, not the standard deviation", _ln(scale="(var + eps)")),
        ("forgot beta", _ln(beta="")),
        ("no eps at all: a constant vector gives 0 / 0", _ln(scale="np.sqrt(var)")),
    ],
    "rms_norm": [
        ("subtracted the mean first", _rms(center="\n    x = x - x.mean(axis=-1, keepdims=True)")),
        ("RMS without the eps", _rms(scale="np.sqrt(np.mean(x**2, axis=-1, keepdims=True))")),
        ("forgot the square root", _rms(scale="(np.mean(x**2, axis=-1, keepdims=True) + eps)")),
        ("the L2 norm instead of the RMS", _rms(scale="np.sqrt(np.sum(x**2, axis=-1, keepdims=True) + eps)")),
        ("the mean over axis 0", _rms(scale="np.sqrt(np.mean(x**2, axis=0, keepdims=True) + eps)")),
    ],
    "gelu": [
        ("the sigmoid form z * sigmoid(1.702 z)", _gelu("z / (1 + np.exp(-1.702 * z))")),
        ("the 0.044715 z³ term missing", _gelu("0.5 * z * (1 + np.tanh(np.sqrt(2 / np.pi) * z))")),
        ("the exact erf form", "import math\n\n\n" + _gelu("0.5 * z * (1 + np.vectorize(math.erf)(z / np.sqrt(2)))")),
        ("z² instead of z³", _gelu(_TANH.replace("z**3", "z**2"))),
        ("2/π instead of √(2/π)", _gelu(_TANH.replace("np.sqrt(2 / np.pi)", "(2 / np.pi)"))),
        ("a ReLU", _gelu("np.maximum(z, 0.0)")),
    ],
    "transformer_block": [
        ("post-LN instead of pre-LN", _POST),
        ("ReLU in the MLP", _block(mlp='X = X + np.maximum(h, 0) @ b["W2"] + b["b2"]')),
        ("the MLP's residual forgotten", _block(mlp='X = gelu(h) @ b["W2"] + b["b2"]')),
        ("the attention reads X, not layer_norm(X)",
         _block(attention="X = X + " + _ATTEND.format(a="X", causal="causal"))),
        ("ln1's gamma and beta reused for the MLP", _block(mlp_in=_LN1)),
        ("causal ignored", _block(attention="X = X + " + _ATTEND.format(a=_LN1, causal="False"))),
    ],
    "gpt_forward": [
        ("positions not added", _forward(positions="")),
        ("forgot the final layer norm", _forward(final="X")),
        ("norms after the final layer norm", _forward(after="norms[-1] = np.linalg.norm(F, axis=1)")),
        ("P indexed by the token ids", _forward(positions=' + params["P"][ids]')),
        ("norms row 0 taken from E[ids] alone, before the positions",
         _forward(norm0='np.linalg.norm(E[ids], axis=1)')),
        ("causal ignored in the blocks", _forward(causal="False")),
    ],
}
