"""Plausible wrong answers for 09_training: each must lose exactly its own function's points."""

_LOG_SOFTMAX = """def log_softmax(logits, axis=-1):
    z = np.asarray(logits, dtype=float)
    return {body}
"""


def _log_softmax(body):
    return _LOG_SOFTMAX.format(body=body)


_CE = """def cross_entropy(logits, targets):
    z = np.atleast_2d(np.asarray(logits, dtype=float))
    t = np.atleast_1d(targets)
    {logp}
    picked = logp[np.arange(len(t)), t]
    return float({reduce})
"""


def _ce(logp="shifted = z - z.max(axis=-1, keepdims=True)\n    logp = shifted - np.log(np.exp(shifted).sum(axis=-1, "
        "keepdims=True))", reduce="-np.mean(picked)"):
    return _CE.format(logp=logp, reduce=reduce)


_CE_GRAD = """def cross_entropy_grad(logits, targets):
    logits = np.asarray(logits, dtype=float)
    z = np.atleast_2d(logits)
    t = np.atleast_1d(targets)
    one_hot = np.zeros_like(z)
    one_hot[np.arange(len(t)), t] = 1.0
    return ({body}).reshape(logits.shape)
"""


def _ce_grad(body):
    return _CE_GRAD.format(body=body)


_MLP = """def mlp_backward(h1, W1, b1, W2, b2, dh2):
    z = h1 @ W1 + b1
    r = np.maximum(z, 0.0)
    dz = {dz}
    return {dh1}, {dW1}, dz, {dW2}, {db2}
"""


def _mlp(dz="(dh2 @ W2.T) * (z > 0)", dh1="dh2 + dz @ W1.T", dW1="np.outer(h1, dz)", dW2="np.outer(r, dh2)",
         db2="np.array(dh2, dtype=float)"):
    return _MLP.format(dz=dz, dh1=dh1, dW1=dW1, dW2=dW2, db2=db2)


_ATTENTION = """def attention_backward(X, dh1):
    X = np.asarray(X, dtype=float)
    q = X[-1]
    a = softmax(X @ q)
    dX = {values}
    da = X @ dh1
    ds = {ds}
    dX += {keys}
    dX[-1] += {last}
    return dX
"""


def _attention(values="np.outer(a, dh1)", ds="a * (da - a @ da)", keys="np.outer(ds, q)", last="X.T @ ds + dh1"):
    return _ATTENTION.format(values=values, ds=ds, keys=keys, last=last)


_TINY = """def tiny_loss_and_grads(model, ids, target):
    E, W1, b1, W2, b2 = (np.asarray(model[k], dtype=float) for k in ("E", "W1", "b1", "W2", "b2"))
    ids = np.asarray(ids)
    X = E[ids]
    q = X[-1]
    a = softmax(X @ q)
    h1 = q + a @ X
    z = h1 @ W1 + b1
    h2 = h1 + np.maximum(z, 0.0) @ W2 + b2
    probs = softmax(h2 @ E.T)
    loss = float(-np.log(probs[target]))
    dlogits = probs.copy()
    dlogits[target] -= 1.0
    dh2, dE = dlogits @ E, {tied}
    dz = (dh2 @ W2.T) * (z > 0)
    dh1 = dh2 + dz @ W1.T
    da = X @ dh1
    ds = a * (da - a @ da)
    dX = {dX}
    dX[-1] += {last}
    {lookup}
    return {loss}, {{"E": dE, "W1": {dW1}, "b1": dz, "W2": np.outer(np.maximum(z, 0.0), dh2), "b2": dh2}}
"""


def _tiny(tied="np.outer(dlogits, h2)", dX="np.outer(a, dh1) + np.outer(ds, q)", last="X.T @ ds + dh1",
          lookup="np.add.at(dE, ids, dX)", loss="loss", dW1="np.outer(h1, dz)"):
    return _TINY.format(tied=tied, dX=dX, last=last, lookup=lookup, loss=loss, dW1=dW1)


_NUMGRAD = """def numerical_gradient(f, x, eps=1e-6):
    grad = np.zeros(x.shape)
    {work}
    for i in np.ndindex(x.shape):
        old = work[i]
        work[i] = old + eps
        up = f(work)
        work[i] = {down_at}
        down = f(work)
        work[i] = {restore}
        grad[i] = (up - down) / {divide}
    return grad
"""


def _numgrad(work="work = x", down_at="old - eps", restore="old", divide="(2 * eps)"):
    return _NUMGRAD.format(work=work, down_at=down_at, restore=restore, divide=divide)


_RELERR = """def relative_error(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float({body})
"""


def _relerr(body):
    return _RELERR.format(body=body)


_ADAM = """def adam_step(params, grads, state, lr=1e-2, beta1=0.9, beta2=0.999, eps=1e-8):
    if state is None:
        state = {{"m": {{k: np.zeros_like(p) for k, p in params.items()}},
                 "v": {{k: np.zeros_like(p) for k, p in params.items()}}, "t": 0}}
    t = {t}
    new_params, m, v = {{}}, {{}}, {{}}
    for k, p in params.items():
        m[k] = beta1 * state["m"][k] + (1 - beta1) * grads[k]
        v[k] = beta2 * state["v"][k] + (1 - beta2) * grads[k] ** 2
        m_hat, v_hat = {hats}
        new_params[k] = p - lr * m_hat / {denominator}
    return new_params, {{"m": m, "v": v, "t": t}}
"""


def _adam(t='state["t"] + 1', hats="m[k] / (1 - beta1**t), v[k] / (1 - beta2**t)",
          denominator="(np.sqrt(v_hat) + eps)"):
    return _ADAM.format(t=t, hats=hats, denominator=denominator)


_TRAIN = """def train_tiny(model, examples, steps, lr=1e-2):
    keys = ("E", "W1", "b1", "W2", "b2")
    params = {{k: np.array(model[k], dtype=float) for k in keys}}

    def loss_and_grads(ids, target):
        E, W1, b1, W2, b2 = (params[k] for k in keys)
        ids = np.asarray(ids)
        X = E[ids]
        q = X[-1]
        a = softmax(X @ q)
        h1 = q + a @ X
        z = h1 @ W1 + b1
        h2 = h1 + np.maximum(z, 0.0) @ W2 + b2
        dlogits = softmax(h2 @ E.T)
        loss = -np.log(dlogits[target])
        dlogits[target] -= 1.0
        dh2, dE = dlogits @ E, np.outer(dlogits, h2)
        dz = (dh2 @ W2.T) * (z > 0)
        dh1 = dh2 + dz @ W1.T
        da = X @ dh1
        ds = a * (da - a @ da)
        dX = np.outer(a, dh1) + np.outer(ds, q)
        dX[-1] += X.T @ ds + dh1
        np.add.at(dE, ids, dX)
        return loss, {{"E": dE, "W1": np.outer(h1, dz), "b1": dz, "W2": np.outer(np.maximum(z, 0.0), dh2), "b2": dh2}}

    m = {{k: np.zeros_like(p) for k, p in params.items()}}
    v = {{k: np.zeros_like(p) for k, p in params.items()}}
    losses = []
    for t in range(1, steps + 1):
        total, grads = 0.0, {{k: np.zeros_like(p) for k, p in params.items()}}
        for ids, target in examples:
            loss, g = loss_and_grads(ids, target)
            total += loss / {n}
            for k in keys:
                grads[k] += g[k] / len(examples)
        {record_before}
        for k in keys:
            {moments}
            params[k] = params[k] - lr * (m[k] / (1 - 0.9**{tt})) / (np.sqrt(v[k] / (1 - 0.999**{tt})) + 1e-8)
        {record_after}
    return params, losses
"""


def _train(n="len(examples)", record_before="losses.append(float(total))", record_after="",
           moments="m[k] = 0.9 * m[k] + 0.1 * grads[k]\n            v[k] = 0.999 * v[k] + 0.001 * grads[k] ** 2",
           tt="t"):
    if not record_after:
        record_after = "pass"
    return _TRAIN.format(n=n, record_before=record_before, record_after=record_after, moments=moments, tt=tt)


_FRESH = 'm[k] = 0.1 * grads[k]\n            v[k] = 0.001 * grads[k] ** 2'

WRONG = {
    "log_softmax": [
        ("no max shift: exp overflows at 1e4", _log_softmax("z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))")),
        ("log of softmax: log 0 at -1e4 next to 1e4", _log_softmax("np.log(softmax(z, axis=axis))")),
        ("returned softmax itself", _log_softmax("softmax(z, axis=axis)")),
        ("only the max subtracted, no log-sum-exp", _log_softmax("z - np.max(z, axis=axis, keepdims=True)")),
        ("the axis argument ignored: always the last axis",
         _log_softmax("z - z.max(axis=-1, keepdims=True) - np.log(np.exp(z - z.max(axis=-1, keepdims=True))"
                      ".sum(axis=-1, keepdims=True))")),
    ],
    "cross_entropy": [
        ("summed over the examples, not the mean", _ce(reduce="-np.sum(picked)")),
        ("no minus sign", _ce(reduce="np.mean(picked)")),
        ("the raw logit at the target", _ce(logp="logp = z")),
        ("no max shift: overflows at 1e4", _ce(logp="logp = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))")),
        ("-log of the probability, unstable at 1e4", _ce(logp="logp = np.log(softmax(z))")),
    ],
    "cross_entropy_grad": [
        ("not divided by N", _ce_grad("softmax(z) - one_hot")),
        ("the one-hot not subtracted", _ce_grad("softmax(z) / len(t)")),
        ("the sign flipped", _ce_grad("(one_hot - softmax(z)) / len(t)")),
        ("logits minus the one-hot, no softmax", _ce_grad("(z - one_hot) / len(t)")),
    ],
    "unembed_backward": [
        ("dE transposed", "def unembed_backward(h2, E, dlogits):\n    return dlogits @ E, np.outer(h2, dlogits)\n"),
        ("dE summed over the words",
         "def unembed_backward(h2, E, dlogits):\n    return dlogits @ E, np.outer(dlogits, h2).sum(axis=0)\n"),
        ("dh2 through the logits' own values",
         "def unembed_backward(h2, E, dlogits):\n    return (h2 @ E.T) @ E, np.outer(dlogits, h2)\n"),
        ("dh2 and dE swapped", "def unembed_backward(h2, E, dlogits):\n    return np.outer(dlogits, h2), dlogits @ E\n"),
        ("dE as E times dlogits, h2 forgotten",
         "def unembed_backward(h2, E, dlogits):\n    return dlogits @ E, E * dlogits[:, None]\n"),
    ],
    "mlp_backward": [
        ("dh1 misses the residual", _mlp(dh1="dz @ W1.T")),
        ("no relu'", _mlp(dz="dh2 @ W2.T")),
        ("dW2 from z instead of relu(z)", _mlp(dW2="np.outer(z, dh2)")),
        ("db2 left at zero", _mlp(db2="np.zeros_like(dh2)")),
        ("relu' as relu(z) instead of the step", _mlp(dz="(dh2 @ W2.T) * r")),
        ("dW1 from h1 and the gradient before relu'", _mlp(dW1="np.outer(h1, dh2 @ W2.T)")),
    ],
    "attention_backward": [
        ("the attention term left out: only the residual",
         "def attention_backward(X, dh1):\n    dX = np.zeros(np.shape(X))\n    dX[-1] = dh1\n    return dX\n"),
        ("the values' term missing", _attention(values="np.zeros_like(X)")),
        ("the keys' term missing", _attention(keys="0.0")),
        ("the query's term missing", _attention(last="dh1")),
        ("the residual missing", _attention(last="X.T @ ds")),
        ("softmax's backward without - a·da", _attention(ds="a * da")),
    ],
    "embedding_backward": [
        ("dE[ids] += dX loses a repeated id", """def embedding_backward(ids, dX, V):
    dE = np.zeros((V, np.shape(dX)[1]))
    dE[np.asarray(ids)] += dX
    return dE
"""),
        ("returned dX", "def embedding_backward(ids, dX, V):\n    return np.asarray(dX, dtype=float)\n"),
        ("a repeated id's rows averaged", """def embedding_backward(ids, dX, V):
    dE = np.zeros((V, np.shape(dX)[1]))
    np.add.at(dE, np.asarray(ids), dX)
    return dE / np.maximum(np.bincount(ids, minlength=V), 1)[:, None]
"""),
        ("the last row wins for a repeated id", """def embedding_backward(ids, dX, V):
    dE = np.zeros((V, np.shape(dX)[1]))
    for t, i in enumerate(ids):
        dE[i] = dX[t]
    return dE
"""),
        ("every word gets the whole sum",
         "def embedding_backward(ids, dX, V):\n    return np.tile(np.sum(dX, axis=0), (V, 1))\n"),
    ],
    "tiny_loss_and_grads": [
        ("dE misses the tied-unembedding term", _tiny(tied="np.zeros_like(E)")),
        ("dE misses the embedding term", _tiny(lookup="pass")),
        ("E[ids] += dX loses a repeated id", _tiny(lookup="dE[ids] += dX")),
        ("the attention term left out", _tiny(dX="np.zeros_like(X)", last="dh1")),
        ("the loss as the probability, not -log", _tiny(loss="float(1 - probs[target])")),
        ("dW1 without relu'", _tiny(dW1="np.outer(h1, dh2 @ W2.T)")),
    ],
    "numerical_gradient": [
        ("one-sided difference", _numgrad(down_at="old", divide="eps")),
        ("divided by eps, not 2 eps", _numgrad(divide="eps")),
        ("perturbed a copy of x", _numgrad(work="work = x.copy()")),
        ("x left at old - eps: never restored", _numgrad(restore="work[i]")),
        ("the difference the wrong way round", _numgrad(divide="(-2 * eps)")),
    ],
    "relative_error": [
        ("the mean, not the max", _relerr("np.mean(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)))")),
        ("no floor: 0 / 0 for two zeros", _relerr("np.max(np.abs(a - b) / (np.abs(a) + np.abs(b)))")),
        ("divided by |a| only", _relerr("np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a)))")),
        ("the absolute error", _relerr("np.max(np.abs(a - b))")),
        ("no absolute value of a - b", _relerr("np.max((a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)))")),
    ],
    "adam_step": [
        ("no bias correction", _adam(hats="m[k], v[k]")),
        ("t not incremented", _adam(t='max(state["t"], 1)')),
        ("eps inside the square root", _adam(denominator="np.sqrt(v_hat + eps)")),
        ("plain gradient descent", _adam(hats="grads[k], np.ones_like(p)", denominator="1.0")),
        ("changes the params in place", """def adam_step(params, grads, state, lr=1e-2, beta1=0.9, beta2=0.999, eps=1e-8):
    if state is None:
        state = {"m": {k: np.zeros_like(p) for k, p in params.items()},
                 "v": {k: np.zeros_like(p) for k, p in params.items()}, "t": 0}
    t = state["t"] + 1
    for k, p in params.items():
        state["m"][k] = beta1 * state["m"][k] + (1 - beta1) * grads[k]
        state["v"][k] = beta2 * state["v"][k] + (1 - beta2) * grads[k] ** 2
        p -= lr * (state["m"][k] / (1 - beta1**t)) / (np.sqrt(state["v"][k] / (1 - beta2**t)) + eps)
    state["t"] = t
    return params, state
"""),
    ],
    "train_tiny": [
        ("the loss summed over the examples, not the mean", _train(n="1")),
        ("the loss recorded after the update", _train(record_before="pass",
                                                       record_after="losses.append(float(total) * 0 + float("
                                                                    "np.mean([loss_and_grads(i, t_)[0] for i, t_ "
                                                                    "in examples])))")),
        ("a fresh Adam state every step", _train(moments=_FRESH)),
        ("no bias correction", _train(tt="10**9")),
        ("the step counter stuck at 1", _train(tt="1")),
    ],
}
