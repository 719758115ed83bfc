"""Rung 9: learning from prediction error — the loss, backpropagation through the tiny model, a gradient check,
Adam, and a training loop.

The tiny model is rung 5's (`reference.block.forward`): X = E[ids]; a = softmax(X @ x_last);
h1 = x_last + a @ X; z = h1 @ W1 + b1; h2 = h1 + relu(z) @ W2 + b2; logits = h2 @ Eᵀ. Row vectors, weights from
the right. Each backward step below takes the gradient of the loss with respect to its output and returns the
gradients with respect to its inputs, written next to the forward step it undoes.
"""

import numbers

import numpy as np

from reference import _checks as check
from reference.attention import softmax
from reference.block import MODEL_KEYS, _check_mlp, _check_model


def log_softmax(logits, axis=-1):
    """log softmax(logits) along axis, computed as z - max - log Σ exp(z - max) so that ±1e4 neither overflows
    nor gives log 0.

    Parameters
    ----------
    logits : ndarray of any shape (entries finite or -inf; a row of only -inf is refused)
    axis : int

    Returns
    -------
    logp : ndarray of the shape of `logits` (-inf where logits is -inf)
    """
    z = check.array(logits, "logits", min_ndim=1, inf="neg", nonempty=True)
    top = np.max(z, axis=axis, keepdims=True)
    if np.isneginf(top).any():
        raise ValueError("logits must have at least one finite entry along axis; got a slice of only -inf")
    shifted = z - top  # the largest entry becomes 0: exp cannot overflow
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def cross_entropy(logits, targets):
    """The mean over examples of -log softmax(logits)[target]: how surprised the model is by the true next word.

    Parameters
    ----------
    logits : ndarray of shape `(V,)` with one int target, or `(N, V)` with `targets` of shape `(N,)`

    Returns
    -------
    loss : float
    """
    z, t = _check_logits_targets(logits, targets)
    logp = log_softmax(z, axis=-1)  # (N, V)
    return float(-np.mean(logp[np.arange(len(t)), t]))


def cross_entropy_grad(logits, targets):
    """d cross_entropy / d logits = (softmax(logits) - one_hot(targets)) / N, shaped like logits.

    Parameters
    ----------
    logits : ndarray of shape `(V,)` with one int target, or `(N, V)` with `targets` of shape `(N,)`

    Returns
    -------
    dlogits : ndarray of the shape of `logits`
    """
    z, t = _check_logits_targets(logits, targets)
    dz = softmax(z, axis=-1)  # (N, V)
    dz[np.arange(len(t)), t] -= 1.0  # softmax - one-hot
    dz /= len(t)  # the loss is a mean over the N examples
    return dz.reshape(np.shape(logits))


def unembed_backward(h2, E, dlogits):
    """Back through the tied unembedding logits = h2 @ Eᵀ.

    dh2 = dlogits @ E;  dE = outer(dlogits, h2)   (only the unembedding's share of dE: E also embedded the prompt)

    Parameters
    ----------
    h2 : ndarray of shape `(d,)`
    E : ndarray of shape `(V, d)`
    dlogits : ndarray of shape `(V,)`

    Returns
    -------
    (dh2 (d,), dE (V, d))
    """
    h2 = check.array(h2, "h2", ndim=1, nonempty=True)
    E = _check_E(E, h2.shape[0])
    dlogits = check.array(dlogits, "dlogits", ndim=1)
    if dlogits.shape[0] != E.shape[0]:
        raise ValueError(f"dlogits must have shape ({E.shape[0]},) (one entry per word of E); got {dlogits.shape}")
    return dlogits @ E, np.outer(dlogits, h2)  # (V,) x (V, d) -> (d,);  (V,) outer (d,) -> (V, d)


def mlp_backward(h1, W1, b1, W2, b2, dh2):
    """Back through the MLP block with its residual, h2 = h1 + relu(h1 @ W1 + b1) @ W2 + b2.

    z = h1 @ W1 + b1, r = relu(z):  db2 = dh2;  dW2 = outer(r, dh2);  dz = (dh2 @ W2ᵀ) · [z > 0];
    db1 = dz;  dW1 = outer(h1, dz);  dh1 = dh2 + dz @ W1ᵀ (the residual passes dh2 straight through)

    Parameters
    ----------
    h1 : ndarray of shape `(d,)`
    W1 (d, d_ff), b1 (d_ff,), W2 (d_ff, d), b2 (d,)
    dh2 : ndarray of shape `(d,)`

    Returns
    -------
    (dh1 (d,), dW1 (d, d_ff), db1 (d_ff,), dW2 (d_ff, d), db2 (d,))
    """
    h1 = check.array(h1, "h1", ndim=1, nonempty=True)
    W1, b1, W2, b2 = _check_mlp(h1.shape[0], W1, b1, W2, b2)
    dh2 = _check_vector(dh2, "dh2", h1.shape[0])
    return _mlp_backward(h1, W1, b1, W2, dh2)


def _mlp_backward(h1, W1, b1, W2, dh2):
    z = h1 @ W1 + b1  # (d,) x (d, d_ff) -> (d_ff,)
    r = np.maximum(z, 0.0)
    dz = (W2 @ dh2) * (z > 0)  # (d_ff, d) x (d,) -> (d_ff,); relu'(0) = 0
    return dh2 + W1 @ dz, np.outer(h1, dz), dz, np.outer(r, dh2), dh2.copy()


def attention_backward(X, dh1):
    """Back through the attention nudge in which only the last token asks (identity Q, K, V, no √d):
    h1 = x_last + a @ X with a = softmax(s), s = X @ x_last.

    dX = outer(a, dh1) (the values)  + outer(ds, x_last) (the keys),  ds = a · (X @ dh1 - a · (X @ dh1));
    dX[-1] += dh1 (the residual) + Xᵀ @ ds (the query)

    Parameters
    ----------
    X : ndarray of shape `(T, d)`, the embedded prompt
    dh1 : ndarray of shape `(d,)`

    Returns
    -------
    dX : ndarray of shape `(T, d)`
    """
    X = check.array(X, "X", ndim=2)
    if 0 in X.shape:
        raise ValueError(f"X must hold at least one token vector of width d >= 1; got shape {X.shape}")
    dh1 = _check_vector(dh1, "dh1", X.shape[1])
    return _attention_backward(X, dh1)


def _attention_backward(X, dh1):
    q = X[-1]  # the last token asks: it is the query, and one of the keys and values
    a = softmax(X @ q)  # (T, d) x (d,) -> (T,)
    dX = np.outer(a, dh1)  # through the values: h1 depends on a @ X
    da = X @ dh1  # (T,)
    ds = a * (da - a @ da)  # back through softmax
    dX += np.outer(ds, q)  # through the keys: s_t = x_t · q
    dX[-1] += dh1 + X.T @ ds  # the residual, and the query (T, d)ᵀ x (T,) -> (d,)
    return dX


def embedding_backward(ids, dX, V):
    """Back through the lookup X = E[ids]: row t of dX goes to row ids[t] of dE, and a repeated id adds up.

    Parameters
    ----------
    ids : sequence of T ints in ``[0, V)``
    dX : ndarray of shape `(T, d)`
    V : int, the vocabulary size

    Returns
    -------
    dE : ndarray of shape `(V, d)` (zero in the rows of words not in the prompt)
    """
    V = check.integer(V, "V", minimum=1)
    ids = check.ids(ids, "ids", V, ndim=1)
    dX = check.array(dX, "dX", ndim=2)
    if dX.shape[0] != ids.shape[0]:
        raise ValueError(f"dX must have one row per id ({ids.shape[0]}); got shape {dX.shape}")
    return _embedding_backward(ids, dX, V)


def _embedding_backward(ids, dX, V):
    dE = np.zeros((V, dX.shape[1]))
    np.add.at(dE, ids, dX)  # unbuffered: E[ids] += dX would keep only one row of a repeated id
    return dE


def tiny_loss_and_grads(model, ids, target):
    """The cross-entropy of the tiny model's next-word logits against `target`, and its gradient with respect to
    every weight: the forward pass, then the backward steps above in reverse order.

    dE is the sum of two terms, the tied unembedding's and the embedding lookup's; relu'(0) = 0.

    Parameters
    ----------
    model : dict with E (V, d), W1 (d, d_ff), b1 (d_ff,), W2 (d_ff, d), b2 (d,)
    ids : sequence of T >= 1 ints in ``[0, V)``
    target : int in ``[0, V)``, the true next id

    Returns
    -------
    (loss : float, grads : dict with exactly the keys E, W1, b1, W2, b2, each shaped like the model's)
    """
    E, W1, b1, W2, b2 = _check_model(model)
    ids, target = _check_example(ids, target, E.shape[0])
    return _loss_and_grads(E, W1, b1, W2, b2, ids, target)


def _loss_and_grads(E, W1, b1, W2, b2, ids, target):
    # forward, keeping what the backward steps need
    X = E[ids]  # (T, d)
    q = X[-1]
    a = softmax(X @ q)
    h1 = q + a @ X  # (d,)
    z = h1 @ W1 + b1  # (d_ff,)
    h2 = h1 + np.maximum(z, 0.0) @ W2 + b2  # (d,)
    logits = h2 @ E.T  # (V,)
    logp = log_softmax(logits)
    # backward: each step's local derivative, from the loss down to the embedding
    dlogits = np.exp(logp)
    dlogits[target] -= 1.0
    dh2, dE = dlogits @ E, np.outer(dlogits, h2)
    dh1, dW1, db1, dW2, db2 = _mlp_backward(h1, W1, b1, W2, dh2)
    dE += _embedding_backward(ids, _attention_backward(X, dh1), E.shape[0])
    return float(-logp[target]), {"E": dE, "W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def numerical_gradient(f, x, eps=1e-6):
    """Central differences: grad[i] = (f(x + eps e_i) - f(x - eps e_i)) / 2 eps at every entry i of x.

    x itself is perturbed, one entry at a time, so that f may read x through a closure; each entry is restored to
    its exact old value afterwards (x + eps - eps is not always x in floating point).

    Parameters
    ----------
    f : callable, f(x) -> float
    x : float ndarray of any shape (changed during the call, as it was afterwards)
    eps : float > 0

    Returns
    -------
    grad : ndarray of the shape of x
    """
    if not callable(f):
        raise ValueError(f"f must be a function of x returning a number; got {type(f).__name__}")
    if not isinstance(x, np.ndarray) or x.dtype.kind != "f":
        raise ValueError("x must be a float numpy array (it is perturbed in place, so f can read it); got "
                         + (f"dtype {x.dtype}" if isinstance(x, np.ndarray) else type(x).__name__))
    eps = check.positive(eps, "eps")
    grad = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        up = f(x)
        x[i] = old - eps
        down = f(x)
        x[i] = old  # restore the exact value
        grad[i] = (up - down) / (2 * eps)
    return grad


def relative_error(a, b):
    """The gradient check's number: max over entries of |a - b| / max(1e-8, |a| + |b|).

    About 1e-7 or less means two gradients agree; 1e-2 or more means one of them is wrong.

    Parameters
    ----------
    a, b : ndarrays of the same shape (an analytic and a numerical gradient)

    Returns
    -------
    error : float
    """
    a, b = check.pair(a, b, "a", "b")
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def adam_step(params, grads, state, lr=1e-2, beta1=0.9, beta2=0.999, eps=1e-8):
    """One Adam update, bias-corrected, returning new dicts (the inputs are not changed).

    t = t + 1;  m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g²;
    m̂ = m / (1 - beta1^t);  v̂ = v / (1 - beta2^t);  param = param - lr m̂ / (√v̂ + eps)

    Parameters
    ----------
    params : dict of name -> ndarray
    grads : dict with (at least) the same names, each shaped like its parameter
    state : None before the first step, else {"m": dict, "v": dict, "t": int (steps taken)}
    lr : float > 0;  beta1, beta2 : floats in [0, 1);  eps : float > 0

    Returns
    -------
    (params : dict, state : {"m": dict, "v": dict, "t": int})
    """
    params, grads = _check_params_grads(params, grads)
    lr = check.positive(lr, "lr")
    beta1 = check.interval(beta1, "beta1", 0.0, 1.0, closed_lo=True, closed_hi=False)
    beta2 = check.interval(beta2, "beta2", 0.0, 1.0, closed_lo=True, closed_hi=False)
    eps = check.positive(eps, "eps")
    m, v, t = _check_state(state, params)
    t += 1
    new_params, new_m, new_v = {}, {}, {}
    for name, p in params.items():
        g = grads[name]
        new_m[name] = beta1 * m[name] + (1 - beta1) * g  # running mean of the gradient
        new_v[name] = beta2 * v[name] + (1 - beta2) * g**2  # running mean of its square
        m_hat = new_m[name] / (1 - beta1**t)  # both start at 0: divide out the bias toward 0
        v_hat = new_v[name] / (1 - beta2**t)
        new_params[name] = p - lr * m_hat / (np.sqrt(v_hat) + eps)
    return new_params, {"m": new_m, "v": new_v, "t": t}


def train_tiny(model, examples, steps, lr=1e-2):
    """Train the tiny model with Adam on the mean cross-entropy over all examples, one full batch per step.

    Parameters
    ----------
    model : dict with E, W1, b1, W2, b2 (not changed)
    examples : list of (ids, target) pairs, at least one
    steps : int >= 0
    lr : float > 0, Adam's learning rate

    Returns
    -------
    (model : the trained dict, losses : list of `steps` floats, each the mean loss before that step's update)
    """
    E, W1, b1, W2, b2 = _check_model(model)
    steps = check.integer(steps, "steps", minimum=0)
    lr = check.positive(lr, "lr")
    if not isinstance(examples, (list, tuple)) or len(examples) == 0:
        raise ValueError(f"examples must be a non-empty list of (ids, target) pairs; got {examples!r:.60}")
    pairs = []
    for k, example in enumerate(examples):
        if not isinstance(example, (list, tuple)) or len(example) != 2:
            raise ValueError(f"examples[{k}] must be an (ids, target) pair; got {example!r:.60}")
        pairs.append(_check_example(*example, E.shape[0], where=f"examples[{k}]"))
    params = dict(zip(MODEL_KEYS, (E, W1, b1, W2, b2)))
    state, losses = None, []
    for _ in range(steps):
        loss, grads = 0.0, {name: np.zeros_like(p) for name, p in params.items()}
        for ids, target in pairs:
            l, g = _loss_and_grads(*(params[name] for name in MODEL_KEYS), ids, target)
            loss += l / len(pairs)  # the mean loss over the examples, and so the mean of their gradients
            for name in grads:
                grads[name] += g[name] / len(pairs)
        losses.append(loss)
        params, state = adam_step(params, grads, state, lr=lr)
    return {name: p.copy() for name, p in params.items()}, losses


# ---- checks shared by the functions above ----


def _check_logits_targets(logits, targets):
    """logits as (N, V) float64 and targets as (N,) ints in [0, V)."""
    z = check.array(logits, "logits", inf="neg")
    if z.ndim not in (1, 2) or z.shape[-1] == 0 or z.size == 0:
        raise ValueError(f"logits must be (V,) for one example or (N, V) for N, with V >= 1; got shape {z.shape}")
    if z.ndim == 1:
        if not isinstance(targets, numbers.Integral) and np.ndim(targets) != 0:
            raise ValueError(f"targets must be one int for logits of shape {z.shape}; got {check._describe(targets)}")
        t = check.ids(np.reshape(targets, (1,)), "targets", z.shape[0])
        return z[None, :], t
    t = check.ids(targets, "targets", z.shape[1], ndim=1)
    if t.shape[0] != z.shape[0]:
        raise ValueError(f"targets must have one id per row of logits ({z.shape[0]}); got shape {t.shape}")
    return z, t


def _check_example(ids, target, V, where="ids"):
    """A prompt of T >= 1 ids and one target id, each in [0, V)."""
    ids = check.ids(ids, f"{where} ids" if where != "ids" else "ids", V, ndim=1)
    if ids.size == 0:
        raise ValueError(f"{where}: the prompt must hold at least one token id; got an empty sequence")
    return ids, check.index(target, f"{where} target" if where != "ids" else "target", V)


def _check_E(E, d):
    E = check.array(E, "E", ndim=2)
    if E.shape[1] != d or E.shape[0] == 0:
        raise ValueError(f"E must have shape (V, {d}) with V >= 1 (d = {d} from h2); got shape {E.shape}")
    return E


def _check_vector(x, name, d):
    x = check.array(x, name, ndim=1)
    if x.shape != (d,):
        raise ValueError(f"{name} must have shape ({d},); got shape {x.shape}")
    return x


def _check_params_grads(params, grads):
    if not isinstance(params, dict) or not params:
        raise ValueError(f"params must be a non-empty dict of name -> array; got {type(params).__name__}")
    if not isinstance(grads, dict):
        raise ValueError(f"grads must be a dict with the keys of params; got {type(grads).__name__}")
    missing = [name for name in params if name not in grads]
    if missing:
        raise ValueError(f"grads must have a gradient for every parameter; missing {', '.join(map(str, missing))}")
    P = {name: check.array(p, f"params[{name!r}]") for name, p in params.items()}
    G = {name: check.array(grads[name], f"grads[{name!r}]") for name in params}
    for name in P:
        if P[name].shape != G[name].shape:
            raise ValueError(f"grads[{name!r}] must have the shape of params[{name!r}], {P[name].shape}; "
                             f"got {G[name].shape}")
    return P, G


def _check_state(state, params):
    """(m, v, t): zeros and t = 0 for None, else the state's dicts checked against params."""
    if state is None:
        zeros = {name: np.zeros_like(p) for name, p in params.items()}
        return zeros, dict(zeros), 0
    if not isinstance(state, dict) or not {"m", "v", "t"} <= set(state):
        raise ValueError("state must be None (before the first step) or a dict with keys m, v, t")
    t = check.integer(state["t"], "state['t']", minimum=1)
    moments = []
    for key in ("m", "v"):
        if not isinstance(state[key], dict) or any(name not in state[key] for name in params):
            raise ValueError(f"state[{key!r}] must be a dict with an array for every parameter")
        moments.append({name: check.array(state[key][name], f"state[{key!r}][{name!r}]") for name in params})
        for name in params:
            if moments[-1][name].shape != params[name].shape:
                raise ValueError(f"state[{key!r}][{name!r}] must have shape {params[name].shape}; "
                                 f"got {moments[-1][name].shape}")
    return moments[0], moments[1], t
