"""Rung 9 (09_training): the loss, backpropagation through the tiny model, a gradient check, Adam, training.

Gradients are judged against the reference's analytic gradients on models and prompts drawn here, at grading time
(repeated ids included). A compare first names the part that is off (dW1, dE, ...), then, where a common mistake's
result equals the student's, says which mistake it is; each mistake is recomputed here with one piece left out.
"""

import numpy as np

from autograder.spec import Case, Mistake, Spec, compare_close, compare_default, naming_mistakes, quietly, \
    same_result, slug
from reference import training
from reference.attention import softmax
from reference.block import MODEL_KEYS


def _round(x):
    return np.round(x, 2)  # readable in a message, and still generic


def _model(rng, V, d, d_ff, scale=0.8):
    shapes = {"E": (V, d), "W1": (d, d_ff), "b1": (d_ff,), "W2": (d_ff, d), "b2": (d,)}
    return {name: _round(rng.normal(0, scale, size=shape)) for name, shape in shapes.items()}


def _prompt(rng, V, T):
    """T ids in [0, V) with at least one id repeated (when T > 1): a repeat must add up its gradients."""
    ids = [int(i) for i in rng.integers(0, V, size=T)]
    if T > 1 and len(set(ids)) == T:
        ids[int(rng.integers(0, T - 1))] = ids[-1]
    return ids


def _first_match(mistakes, got):
    for why, wrong in mistakes:
        if same_result(quietly(wrong), got):
            return why if isinstance(why, Mistake) else Mistake(slug(why), why)
    return None


def _parts(names, mistakes):
    """A compare for a tuple of named arrays: a known mistake if the student's result equals one, else the first
    part that is off, by name."""

    def compare(expected, got, case):
        reason = compare_default(expected, got, case)
        if reason is None:
            return None
        named = _first_match(mistakes(case), got)
        if named:
            return named
        if reason.startswith("item "):
            index, rest = reason[len("item "):].split(": ", 1)
            return Mistake(slug(names[int(index)] + " is off"), f"{names[int(index)]} is off ({rest})")
        return reason

    return compare


def _compare_dict(expected, got, what):
    """None, or which key of a dict of arrays is missing, extra or off."""
    if not isinstance(got, dict):
        return f"returned a {type(got).__name__} for {what}, expected a dict with keys {', '.join(expected)}"
    if set(got) != set(expected):
        return f"{what} has keys {sorted(got)}, expected exactly {', '.join(expected)}"
    for name in expected:
        reason = compare_close(expected[name], got[name])
        if reason:
            return f"{what}[{name!r}] is off ({reason})"
    return None


# ---- log_softmax, cross_entropy, cross_entropy_grad ----


def _logits_cases(rng):
    cases = [
        Case((np.array([1.0, 2.0, 3.0]),)),
        Case((np.array([0.0, 0.0, 0.0, 0.0]),)),
        Case((np.array([1e4, 0.0, -1e4]),)),  # far apart: exp(1e4) overflows without the max shift
        Case((np.array([[1.0, 2.0], [-1e4, 1e4]]),)),  # two rows, each on its own
        Case((np.array([2.0, -np.inf, 0.0]),)),  # -inf stays -inf
        Case((np.array([[1.0, 2.0, 0.5], [3.0, 0.0, 1.0]]),), {"axis": 0}),
    ]
    for shape in ((5,), (3, 4)):
        cases.append(Case((_round(rng.normal(0, 3, size=shape)),)))
    return cases


def _log_softmax_mistakes(case):
    z = np.asarray(case.args[0], dtype=float)
    axis = case.kwargs.get("axis", -1)
    with np.errstate(all="ignore"):
        yield "no max shift: subtract max(logits) before exp, or exp(1e4) overflows to inf", \
            lambda: z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))
        yield "returned softmax: take its log, z - max - log Σ exp(z - max)", lambda: softmax(z, axis=axis)
        yield ("log(softmax(z)) underflows: softmax of -1e4 next to 1e4 is 0 and log 0 = -inf; compute "
               "z - max - log Σ exp(z - max) instead", lambda: np.log(softmax(z, axis=axis)))
        yield "forgot the log Σ exp term: only the max was subtracted", \
            lambda: z - np.max(z, axis=axis, keepdims=True)
        if z.ndim > 1:
            yield "reduced over the wrong axis: use the axis argument with keepdims=True", \
                lambda: training.log_softmax(z, axis=1 - (axis % 2))


def _ce_cases(rng):
    cases = [
        Case((np.array([1.0, 2.0, 3.0]), 2)),
        Case((np.array([0.0, 0.0, 0.0, 0.0]), 1)),  # uniform: log 4
        Case((np.array([[1.0, 2.0, 3.0], [1.0, 0.0, 0.0]]), np.array([0, 0]))),  # a batch: the mean, not the sum
        Case((np.array([1e4, 0.0, -1e4]), 2)),  # stable: the loss is 2e4, not inf or nan
        Case((np.array([[2.0, 1.0], [0.0, 3.0], [1.0, 1.0]]), np.array([0, 1, 1]))),
    ]
    for N, V in ((4, 5), (6, 3)):
        cases.append(Case((_round(rng.normal(0, 2, size=(N, V))), rng.integers(0, V, size=N))))
    return cases


def _rows(case):
    z = np.asarray(case.args[0], dtype=float)
    t = np.atleast_1d(np.asarray(case.args[1]))
    return np.atleast_2d(z), t


def _ce_mistakes(case):
    z, t = _rows(case)
    n = np.arange(len(t))
    logp = training.log_softmax(z)
    with np.errstate(all="ignore"):
        yield "summed over the examples: the loss is the mean over the N rows", lambda: float(-np.sum(logp[n, t]))
        yield "forgot the minus sign: the loss is -log p(target), which is >= 0", lambda: float(np.mean(logp[n, t]))
        yield "used the probability, not its log: -log softmax(logits)[target]", \
            lambda: float(-np.mean(softmax(z)[n, t]))
        yield "took the logit at the target, not its log softmax: subtract log Σ exp(logits) too", \
            lambda: float(-np.mean(z[n, t]))
        yield "no max shift: exp(1e4) overflows; compute log softmax as z - max - log Σ exp(z - max)", \
            lambda: float(-np.mean(z[n, t] - np.log(np.sum(np.exp(z), axis=-1))))
        yield "log(softmax) underflows to log 0 = -inf: use the stable log softmax", \
            lambda: float(-np.mean(np.log(softmax(z)[n, t])))


def _ce_grad_mistakes(case):
    z, t = _rows(case)
    shape = np.shape(case.args[0])
    one_hot = np.zeros_like(z)
    one_hot[np.arange(len(t)), t] = 1.0
    p = softmax(z)
    N = len(t)
    if N > 1:
        yield "not divided by N: the loss is a mean over the rows, so is its gradient", \
            lambda: (p - one_hot).reshape(shape)
    yield "forgot to subtract the one-hot target: the gradient is softmax - one_hot", lambda: (p / N).reshape(shape)
    yield "the sign is flipped: it is softmax - one_hot, not one_hot - softmax", \
        lambda: ((one_hot - p) / N).reshape(shape)
    yield "subtracted the one-hot from the logits instead of from softmax(logits)", \
        lambda: ((z - one_hot) / N).reshape(shape)


# ---- the backward steps ----


def _unembed_cases(rng):
    E = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    cases = [
        Case((np.array([2.0, -1.0]), E, np.array([0.5, -1.0, 0.5]))),
        Case((np.array([1.0, 2.0]), E, np.array([0.0, 0.0, 0.0]))),
    ]
    for V, d in ((5, 3), (7, 4), (4, 2)):
        dlogits = softmax(rng.normal(size=V))
        dlogits[int(rng.integers(0, V))] -= 1.0
        cases.append(Case((_round(rng.normal(0, 1, size=d)), _round(rng.normal(0, 1, size=(V, d))),
                           np.round(dlogits, 3))))
    return cases


def _unembed_mistakes(case):
    h2, E, dl = (np.asarray(a, dtype=float) for a in case.args)
    yield "dE is transposed: dE[v] = dlogits[v] * h2, shape (V, d) like E", lambda: (dl @ E, np.outer(h2, dl))
    yield "dE is the sum over the words: it is the outer product outer(dlogits, h2), one row per word", \
        lambda: (dl @ E, np.outer(dl, h2).sum(axis=0))
    yield "dE used dlogits alone: each row is dlogits[v] times h2", lambda: (dl @ E, np.outer(dl, np.ones_like(h2)))
    yield "dh2 and dE are swapped", lambda: (np.outer(dl, h2), dl @ E)


def _mlp_cases(rng):
    h1 = np.array([1.0, -1.0])
    W1 = np.array([[1.0, 0.0, 2.0], [0.0, 1.0, 1.0]])
    b1 = np.array([0.0, 0.5, -0.5])
    W2 = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, -1.0]])
    b2 = np.array([0.1, 0.0])
    cases = [
        Case((h1, W1, b1, W2, b2, np.array([1.0, 0.0]))),  # unit z[1] = -0.5 is off: no gradient through it
        Case((h1, W1, b1, W2, b2, np.array([0.5, -2.0]))),
    ]
    for d, d_ff in ((3, 5), (2, 6), (4, 4)):
        m = _model(rng, 2, d, d_ff)
        cases.append(Case((_round(rng.normal(0, 1, size=d)), m["W1"], m["b1"], m["W2"], m["b2"],
                           _round(rng.normal(0, 1, size=d)))))
    return cases


def _mlp_mistakes(case):
    h1, W1, b1, W2, b2, dh2 = (np.asarray(a, dtype=float) for a in case.args)
    z = h1 @ W1 + b1
    r = np.maximum(z, 0.0)
    on = z > 0
    dz = (W2 @ dh2) * on
    yield "dh1 misses the residual: h2 = h1 + ..., so dh1 = dh2 + dz @ W1ᵀ", \
        lambda: (W1 @ dz, np.outer(h1, dz), dz, np.outer(r, dh2), dh2)
    yield "no relu′: dz = (dh2 @ W2ᵀ) * (z > 0); an off unit passes no gradient", \
        lambda: (dh2 + W1 @ (W2 @ dh2), np.outer(h1, W2 @ dh2), W2 @ dh2, np.outer(r, dh2), dh2)
    yield "dW2 used z instead of relu(z): dW2 = outer(relu(z), dh2)", \
        lambda: (dh2 + W1 @ dz, np.outer(h1, dz), dz, np.outer(z, dh2), dh2)
    yield "db2 is not dh2: b2 is added straight to h2, so db2 = dh2", \
        lambda: (dh2 + W1 @ dz, np.outer(h1, dz), dz, np.outer(r, dh2), np.zeros_like(dh2))
    yield "relu′ taken at relu(z) * z or with z >= 0: use (z > 0)", \
        lambda: (dh2 + W1 @ ((W2 @ dh2) * r), np.outer(h1, (W2 @ dh2) * r), (W2 @ dh2) * r, np.outer(r, dh2), dh2)


def _attention_cases(rng):
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    cases = [
        Case((X, np.array([1.0, 0.0]))),
        Case((X[:1], np.array([0.5, -1.0]))),  # T = 1: the one token is query, key and value
        Case((np.array([[1.0, 0.0], [1.0, 0.0]]), np.array([0.0, 1.0]))),  # a repeated token
    ]
    for T, d in ((4, 3), (5, 2), (3, 4)):
        X = _round(rng.normal(0, 1, size=(T, d)))
        if T > 2:
            X[0] = X[-1]
        cases.append(Case((X, _round(rng.normal(0, 1, size=d)))))
    return cases


def _attention_terms(X, dh1, values=True, keys=True, query=True, residual=True, softmax_back=True):
    q = X[-1]
    a = softmax(X @ q)
    dX = np.outer(a, dh1) if values else np.zeros_like(X)
    da = X @ dh1
    ds = a * (da - a @ da) if softmax_back else a * da
    if keys:
        dX += np.outer(ds, q)
    if residual:
        dX[-1] += dh1
    if query:
        dX[-1] += X.T @ ds
    return dX


def _attention_mistakes(case):
    X, dh1 = (np.asarray(a, dtype=float) for a in case.args)
    yield "the attention term is left out: only the residual's dh1 reached the last token", \
        lambda: _attention_terms(X, dh1, values=False, keys=False, query=False)
    yield "the values' term is missing: h1 = x_last + a @ X, so every row gets outer(a, dh1)", \
        lambda: _attention_terms(X, dh1, values=False)
    yield "the keys' term is missing: the scores s = X @ x_last also depend on every row, dX += outer(ds, x_last)", \
        lambda: _attention_terms(X, dh1, keys=False)
    yield "the query's term is missing: the last row also asked, dX[-1] += Xᵀ @ ds", \
        lambda: _attention_terms(X, dh1, query=False)
    yield "the residual is missing: h1 = x_last + ..., so dX[-1] += dh1", \
        lambda: _attention_terms(X, dh1, residual=False)
    yield "softmax's backward is ds = a * (da - a·da): you left out the - a·da", \
        lambda: _attention_terms(X, dh1, softmax_back=False)


def _embedding_cases(rng):
    dX = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    cases = [
        Case(([0, 2, 1], dX, 4)),
        Case(([1, 3, 1], dX, 4)),  # id 1 twice: its row gets both
        Case(([2, 2, 2], dX, 3)),
    ]
    for T, d, V in ((5, 3, 6), (4, 2, 3), (6, 4, 5)):
        cases.append(Case((_prompt(rng, V, T), _round(rng.normal(0, 1, size=(T, d))), V)))
    return cases


def _embedding_mistakes(case):
    ids, dX, V = case.args
    ids, dX = np.asarray(ids), np.asarray(dX, dtype=float)

    def buffered():
        dE = np.zeros((V, dX.shape[1]))
        dE[ids] += dX
        return dE

    yield "dE[ids] += dX keeps only one row of a repeated id: add each row on its own (np.add.at or a loop)", \
        buffered
    yield "returned dX itself: dE has one row per word of the vocabulary, shape (V, d)", lambda: dX
    yield "a repeated id's gradients were averaged: they add up", lambda: _averaged(ids, dX, V)
    yield "every word's row got the whole sum: only the rows of the prompt's ids get a gradient", \
        lambda: np.tile(dX.sum(axis=0), (V, 1))


def _averaged(ids, dX, V):
    dE = training.embedding_backward(ids, dX, V)
    counts = np.bincount(ids, minlength=V)[:, None]
    return dE / np.maximum(counts, 1)


# ---- tiny_loss_and_grads ----


def _tiny_cases(rng):
    from reference.tinygpt import MODEL, encode

    tiny = {name: np.array(W) for name, W in MODEL.items()}
    cases = [
        Case((tiny, encode("a fluffy blue creature"), 4)),
        Case((tiny, encode("a fluffy blue creature roamed the"), 6)),
        Case((tiny, [5], 6)),  # one token: it attends only to itself
        Case((tiny, encode("the forest the"), 10)),  # "the" twice
    ]
    for V, d, d_ff, T in ((5, 2, 3, 4), (6, 3, 4, 5), (4, 3, 6, 3), (7, 2, 5, 6)):
        cases.append(Case((_model(rng, V, d, d_ff), _prompt(rng, V, T), int(rng.integers(0, V)))))
    return cases


def _tiny_variant(model, ids, target, tied=True, lookup=True, attention=True, add_up=True):
    """The loss and gradients with one piece of the backward pass turned off."""
    E, W1, b1, W2, b2 = (np.asarray(model[k], dtype=float) for k in MODEL_KEYS)
    ids = np.asarray(ids)
    X = E[ids]
    h1 = X[-1] + softmax(X @ X[-1]) @ X
    z = h1 @ W1 + b1
    h2 = h1 + np.maximum(z, 0) @ W2 + b2
    dl = softmax(h2 @ E.T)
    loss = float(-np.log(dl[target]))
    dl[target] -= 1.0
    dh2 = dl @ E
    dh1, dW1, db1, dW2, db2 = training.mlp_backward(h1, W1, b1, W2, b2, dh2)
    dX = training.attention_backward(X, dh1) if attention else np.zeros_like(X)
    if not attention:
        dX[-1] = dh1
    dE = np.outer(dl, h2) if tied else np.zeros_like(E)
    if lookup:
        if add_up:
            dE = dE + training.embedding_backward(ids, dX, E.shape[0])
        else:
            dE[ids] += dX
    return loss, {"E": dE, "W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def _compare_tiny(expected, got, case):
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return "should return a pair (loss, grads)"
    loss, grads = got
    reason = compare_close(expected[0], loss)
    if reason:
        return Mistake("loss-is-off", f"the loss is off ({reason}): it is -log softmax(logits)[target] of the "
                                      "forward pass")
    reason = _compare_dict(expected[1], grads, "grads")
    if reason is None:
        return None
    model, ids, target = case.args
    variants = [
        ("dE misses the tied-unembedding term: E also scored the words, dE += outer(dlogits, h2)", {"tied": False}),
        ("dE misses the embedding term: the prompt's rows E[ids] get dX too", {"lookup": False}),
        ("dE adds a repeated id's gradient once: E[ids] += dX keeps one row per id; add each row (np.add.at)",
         {"add_up": False}),
        ("the attention term is left out: dX gets the values, keys and query paths, not only the residual's dh1 "
         "at the last token",
         {"attention": False}),
    ]
    for why, knobs in variants:
        wrong = quietly(lambda: _tiny_variant(model, ids, target, **knobs))
        if wrong is not None and _compare_dict(wrong[1], grads, "grads") is None:
            return Mistake(slug(why), f"{reason.split(' (')[0]}; {why}")
    return reason


# ---- numerical_gradient, relative_error ----


def numerical_gradient_on(f_name, c, x, eps=1e-6):
    """The reference's numerical_gradient of a named test function (the hidden test cell defines the same ones),
    and x after the call: (grad, x)."""
    return training.numerical_gradient(_test_function(f_name, c, x), x, eps)


def _test_function(f_name, c, x):
    if f_name == "cubic":
        return lambda x: float(np.sum(c * x**3))
    if f_name == "logsumexp":
        return lambda x: float(np.log(np.sum(np.exp(c * x))))
    return lambda _: float(np.sum(c * np.sin(x)))  # "closure": reads x itself, not its argument


def _numgrad(f_name, c, x, eps=1e-6):
    return numerical_gradient_on(f_name, c, x, eps), x


def _numgrad_cases(rng):
    cases = [
        Case(("cubic", np.array([1.0, 2.0]), np.array([1.0, 0.5]), 1e-3)),
        Case(("logsumexp", np.array([1.0, -1.0, 2.0]), np.array([0.1, 0.2, 0.3]), 1e-2)),
        Case(("closure", np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[0.1, 0.7], [1.3, -0.3]]), 1e-3)),
        Case(("cubic", np.array([0.5, 1.0, -1.0]), np.array([0.3, -0.7, 1.1]))),
    ]
    for shape in ((4,), (2, 3), (3, 2, 2)):
        f_name = ["cubic", "logsumexp", "closure"][int(rng.integers(0, 3))]
        cases.append(Case((f_name, _round(rng.normal(0, 1, size=shape)), _round(rng.normal(0, 1, size=shape)) + 0.01,
                           1e-3)))
    return cases


def _numgrad_mistakes(case):
    f_name, c, x = case.args[:3]
    eps = case.args[3] if len(case.args) > 3 else 1e-6
    c, x = np.asarray(c, dtype=float), np.asarray(x, dtype=float)

    def differences(one_sided=False, copy=False, restore=True, halve=True):
        x0 = x.copy()
        grad = np.zeros_like(x0)
        f = _test_function(f_name, c, x0)
        work = x0.copy() if copy else x0
        for i in np.ndindex(x0.shape):
            old = work[i]
            work[i] = old + eps
            up = f(work)
            work[i] = old if one_sided else old - eps
            down = f(work)
            work[i] = old if restore else work[i] + eps
            grad[i] = (up - down) / (eps if one_sided or not halve else 2 * eps)
        return grad, x0

    yield "a one-sided difference (f(x + eps) - f(x)) / eps: use central differences, f(x + eps) - f(x - eps)", \
        lambda: differences(one_sided=True)
    yield "divided by eps, not 2 eps: x + eps and x - eps are 2 eps apart", lambda: differences(halve=False)
    yield "perturbed a copy of x: f may read x itself (a closure), so change x in place and restore it", \
        lambda: differences(copy=True)
    yield "x was not restored exactly: save the old value and put it back (x + eps - eps is not always x)", \
        lambda: differences(restore=False)


def _compare_numgrad(expected, got, case):
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return "the probe expected (grad, x)"
    named = _first_match(_numgrad_mistakes(case), got)
    reason = compare_close(expected[0], got[0], rtol=1e-6, atol=1e-7)
    if reason:
        return named or f"the gradient is off ({reason})"
    if not isinstance(got[1], np.ndarray) or got[1].shape != expected[1].shape \
            or not np.array_equal(got[1], expected[1]):
        return named or Mistake("x-not-restored", "x was changed: put each entry back to its exact old value")
    return None


def _relerr_cases(rng):
    cases = [
        Case((np.array([1.0, 2.0]), np.array([1.0, 2.0]))),
        Case((np.array([1.0, 2.0]), np.array([1.1, 2.0]))),
        Case((np.array([0.0, 0.0]), np.array([0.0, 0.0]))),  # both zero: 0, not 0 / 0
        Case((np.array([[1e-3, -2.0], [3.0, 0.0]]), np.array([[2e-3, -2.0], [3.0, 1e-9]]))),
    ]
    for shape in ((5,), (3, 4)):
        a = _round(rng.normal(0, 1, size=shape))
        cases.append(Case((a, a + _round(rng.normal(0, 0.1, size=shape)))))
    return cases


def _relerr_mistakes(case):
    a, b = (np.asarray(v, dtype=float) for v in case.args)
    with np.errstate(all="ignore"):
        yield "took the mean: the check reports the worst entry, the max", \
            lambda: float(np.mean(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))
        yield "forgot the floor 1e-8 under the denominator: two zeros give 0 / 0", \
            lambda: float(np.max(np.abs(a - b) / (np.abs(a) + np.abs(b))))
        yield "divided by |a| alone: divide by |a| + |b| (floored at 1e-8)", \
            lambda: float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a))))
        yield "forgot the absolute value of a - b", \
            lambda: float(np.max((a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))
        yield "returned the absolute error: divide by max(1e-8, |a| + |b|)", lambda: float(np.max(np.abs(a - b)))


# ---- adam_step, train_tiny ----


def _adam_cases(rng):
    p = {"w": np.array([1.0, -2.0]), "b": np.array([0.5])}
    g = {"w": np.array([0.3, -4.0]), "b": np.array([0.0])}
    state = {"m": {"w": np.array([0.1, -0.2]), "b": np.array([0.05])},
             "v": {"w": np.array([0.01, 0.04]), "b": np.array([0.001])}, "t": 3}
    cases = [
        Case((p, g, None)),  # the first step: -lr * sign(g) (0 where g is 0)
        Case((p, g, None), {"lr": 0.1}),
        Case((p, g, state)),
        Case((p, g, state), {"lr": 0.05, "beta1": 0.8, "beta2": 0.99}),
        Case((p, {"w": np.array([1e-4, -2e-4]), "b": np.array([3e-5])}, None)),  # tiny g: eps after the root matters
    ]
    for t in (1, 7):
        shapes = {"W": (2, 3), "c": (3,)}
        P = {k: _round(rng.normal(size=s)) for k, s in shapes.items()}
        G = {k: _round(rng.normal(size=s)) for k, s in shapes.items()}
        S = {"m": {k: _round(rng.normal(0, 0.1, size=s)) for k, s in shapes.items()},
             "v": {k: _round(rng.uniform(0.01, 0.2, size=s)) for k, s in shapes.items()}, "t": t}
        cases.append(Case((P, G, S), {"lr": 0.02}))
    return cases


def _adam_variant(params, grads, state, lr=1e-2, beta1=0.9, beta2=0.999, eps=1e-8, correct=True, step=1,
                  eps_inside=False, sgd=False):
    t0 = 0 if state is None else state["t"]
    t = t0 + step
    out_p, out_m, out_v = {}, {}, {}
    for name, p in params.items():
        g = np.asarray(grads[name], dtype=float)
        m = np.zeros_like(g) if state is None else state["m"][name]
        v = np.zeros_like(g) if state is None else state["v"][name]
        out_m[name] = beta1 * m + (1 - beta1) * g
        out_v[name] = beta2 * v + (1 - beta2) * g**2
        m_hat = out_m[name] / (1 - beta1**t) if correct and t > 0 else out_m[name]
        v_hat = out_v[name] / (1 - beta2**t) if correct and t > 0 else out_v[name]
        denom = np.sqrt(v_hat + eps) if eps_inside else np.sqrt(v_hat) + eps
        out_p[name] = p - lr * (g if sgd else m_hat / denom)
    return out_p, {"m": out_m, "v": out_v, "t": t}


def _compare_adam(expected, got, case):
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return "should return a pair (params, state)"
    reason = _compare_dict(expected[0], got[0], "params")
    if reason is None and not isinstance(got[1], dict):
        reason = "state should be a dict with keys m, v, t"
    if reason is None:
        reason = _compare_dict(expected[1]["m"], got[1].get("m"), "state['m']") \
            or _compare_dict(expected[1]["v"], got[1].get("v"), "state['v']") \
            or compare_default(expected[1]["t"], got[1].get("t")) and "state['t'] should be the number of steps taken"
    if not reason:
        return None
    params, grads, state = case.args
    variants = [
        ("no bias correction: divide m by 1 - beta1^t and v by 1 - beta2^t", {"correct": False}),
        ("t counted from 0: t is the number of steps taken, 1 after the first step, and the bias correction uses it",
         {"step": 0}),
        ("eps went inside the square root: lr * m̂ / (sqrt(v̂) + eps)", {"eps_inside": True}),
        ("plain gradient descent: Adam steps by m̂ / (sqrt(v̂) + eps), not by g", {"sgd": True}),
    ]
    for why, knobs in variants:
        wrong = quietly(lambda: _adam_variant(params, grads, state, **case.kwargs, **knobs))
        if wrong is not None and _compare_dict(wrong[0], got[0], "params") is None:
            return Mistake(slug(why), f"{reason.split(' (')[0]}; {why}")
    return reason


def _train_cases(rng):
    cases = []
    for V, d, d_ff, steps in ((4, 2, 3, 4), (5, 3, 4, 3)):
        model = _model(rng, V, d, d_ff, scale=0.5)
        examples = [(_prompt(rng, V, int(rng.integers(1, 4))), int(rng.integers(0, V))) for _ in range(3)]
        cases.append(Case((model, examples, steps), {"lr": 0.05}))
    model = _model(rng, 4, 2, 3, scale=0.5)
    cases.append(Case((model, [([0, 1], 2)], 0)))  # no steps: the model unchanged, no losses
    cases.append(Case((model, [([0, 1], 2), ([1, 1], 3)], 2)))  # the default lr
    return cases


def _compare_train(expected, got, case):
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return "should return a pair (model, losses)"
    model, losses = got
    if not isinstance(losses, (list, tuple)):
        return f"losses should be a list of floats, one per step; got a {type(losses).__name__}"
    if len(losses) != len(expected[1]):
        return f"losses has {len(losses)} entries, expected one per step ({len(expected[1])})"
    for k, (e, g) in enumerate(zip(expected[1], losses)):
        if compare_close(e, g):
            where = ("the first loss (before any update) should be the mean cross-entropy over all the examples"
                     if k == 0 else "the update is off: each step is one adam_step on the mean gradient over all "
                     "the examples, with one Adam state carried from step to step")
            return Mistake("loss-off-at-step-0" if k == 0 else "update-off",
                           f"the loss at step {k} is {g!r:.8}, expected {e:.6f}: {where}")
    return _compare_dict(expected[0], model, "the trained model")


SPECS = [
    Spec(name="log_softmax", reference=training.log_softmax, cases=_logits_cases,
         hint="z - max(z) - log Σ exp(z - max(z)) along axis, with keepdims=True",
         compare=naming_mistakes(_log_softmax_mistakes)),
    Spec(name="cross_entropy", reference=training.cross_entropy, cases=_ce_cases,
         hint="the mean over the rows of -log_softmax(logits)[row, target], a float; (V,) logits are one row",
         compare=naming_mistakes(_ce_mistakes)),
    Spec(name="cross_entropy_grad", reference=training.cross_entropy_grad, cases=_ce_cases,
         hint="(softmax(logits) - one_hot(targets)) / N, shaped like logits",
         compare=naming_mistakes(_ce_grad_mistakes)),
    Spec(name="unembed_backward", reference=training.unembed_backward, cases=_unembed_cases,
         hint="logits = h2 @ Eᵀ: dh2 = dlogits @ E (d,), dE = np.outer(dlogits, h2) (V, d)",
         compare=_parts(("dh2", "dE"), _unembed_mistakes)),
    Spec(name="mlp_backward", reference=training.mlp_backward, cases=_mlp_cases,
         hint="z = h1 @ W1 + b1: db2 = dh2, dW2 = outer(relu(z), dh2), dz = (dh2 @ W2ᵀ) * (z > 0), db1 = dz, "
              "dW1 = outer(h1, dz), dh1 = dh2 + dz @ W1ᵀ",
         compare=_parts(("dh1", "dW1", "db1", "dW2", "db2"), _mlp_mistakes)),
    Spec(name="attention_backward", reference=training.attention_backward, cases=_attention_cases,
         hint="four paths from h1 = x_last + softmax(X @ x_last) @ X back to X: the values, the keys, the query "
              "(the last row) and the residual (the last row)",
         compare=naming_mistakes(_attention_mistakes)),
    Spec(name="embedding_backward", reference=training.embedding_backward, cases=_embedding_cases,
         hint="dE = zeros (V, d), then row t of dX added to row ids[t]; np.add.at(dE, ids, dX) adds repeats",
         compare=naming_mistakes(_embedding_mistakes)),
    Spec(name="tiny_loss_and_grads", reference=training.tiny_loss_and_grads, cases=_tiny_cases,
         hint="forward keeping X, h1, z, h2; then dlogits = softmax - one_hot, back through the unembedding, the "
              "MLP, the attention and the lookup; dE gets both its tied-unembedding and its embedding term",
         compare=_compare_tiny),
    Spec(name="numerical_gradient", reference=_numgrad, cases=_numgrad_cases,
         hint="for each index i (np.ndindex(x.shape)): old = x[i]; x[i] = old + eps; f(x); x[i] = old - eps; f(x); "
              "x[i] = old; grad[i] = (f_plus - f_minus) / (2 * eps)",
         compare=_compare_numgrad),
    Spec(name="relative_error", reference=training.relative_error, cases=_relerr_cases,
         hint="max over entries of |a - b| / max(1e-8, |a| + |b|), a float",
         compare=naming_mistakes(_relerr_mistakes)),
    Spec(name="adam_step", reference=training.adam_step, cases=_adam_cases,
         hint="t += 1; m = beta1 m + (1 - beta1) g; v = beta2 v + (1 - beta2) g²; "
              "p - lr (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps); new dicts, state None means zeros",
         compare=_compare_adam),
    Spec(name="train_tiny", reference=training.train_tiny, cases=_train_cases,
         hint="each step: the mean loss and mean gradients over all examples, the loss appended before the update, "
              "then one adam_step with the state carried over",
         compare=_compare_train),
]
