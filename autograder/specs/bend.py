"""Hidden tests of rung 2 (02_bend): sigmoid, sigmoid_grad, train_bend_step, and the saturation exercise.

As in rung 4, each compare names the common mistake whose result equals the student's on the same inputs.

The exercise's two answers (`saturation_table`, `vanishing_product`) are not part of the reference API, so their
references are written here from `reference.activations`.
"""

import numpy as np

from autograder.spec import Case, Spec, arguments, compare_close, naming_mistakes, parameters
from autograder.specs.line import POINTS
from reference import _checks as check
from reference import activations

SATURATION_Z = np.array([0.0, 2.0, 5.0, 10.0])  # σ′ is even: the table holds for ±z too


# ---- the exercise's references ----


def saturation_table():
    """σ′(z) at z = 0, 2, 5, 10: how fast the sigmoid's slope dies away from 0.

    Returns
    -------
    slopes : ndarray of shape `(4,)`
        About [0.25, 0.105, 0.00665, 4.54e-05].
    """
    return activations.sigmoid_grad(SATURATION_Z)


def vanishing_product(L):
    """The factor a gradient shrinks by through L stacked sigmoids at their steepest: σ′(0)^L = 0.25^L.

    Parameters
    ----------
    L : int >= 0
        The number of layers (0 layers: nothing shrinks, the product is 1).

    Returns
    -------
    factor : float
    """
    L = check.integer(L, "L", minimum=0)
    return float(activations.sigmoid_grad(0.0)) ** L


# ---- sigmoid ----


def sigmoid_cases(rng):
    # At z = -1000 the naive 1 / (1 + e^(-z)) still returns the right 0.0, only with an overflow warning, which
    # this report cannot carry: the notebook's visible check runs sigmoid(±1000) with overflow raising instead.
    cases = [Case((0.0,)), Case((2.0,)), Case((-2.0,)), Case((-1000.0,)), Case((1000.0,)),
             Case((np.array([-1000.0, -30.0, -1.0, 0.0, 1.0, 30.0, 1000.0]),)),
             Case((np.array([-1000, -2, 0, 2, 1000]),))]  # an integer z: σ is still a fraction
    cases.append(Case((np.round(rng.normal(0.0, 4.0, size=int(rng.integers(3, 8))), 2),)))
    cases.append(Case((rng.normal(0.0, 6.0, size=(3, 4)),)))
    cases.append(Case((rng.uniform(-1000.0, 1000.0, size=6),)))  # far into both tails
    return cases


def _sigmoid_mistakes(case):
    z = np.asarray(*arguments(case, "z"), dtype=float)
    yield "computed 1 / (1 + e^z), which is σ(−z): the exponent is −z, σ(z) = 1 / (1 + e^(−z))", \
        lambda: 1 / (1 + np.exp(z))
    yield "computed e^(−z) / (1 + e^(−z)), which is σ(−z): σ(z) = 1 / (1 + e^(−z))", \
        lambda: np.exp(-z) / (1 + np.exp(-z))


def _float_or_none(got):
    """`got` as a float array, or None when it is not numbers (then no NaN test applies)."""
    try:
        return np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return None


def _compare_sigmoid(expected, got, case):
    reason = naming_mistakes(_sigmoid_mistakes)(expected, got, case)
    if reason and isinstance(got, np.ndarray) and got.dtype.kind in "biu":
        return (f"returned an array of dtype {got.dtype}, which rounds every σ(z) down to 0 or 1: np.zeros_like(z) "
                "of an integer z is an integer array; start from floats (np.asarray(z, dtype=float))")
    values = _float_or_none(got) if reason else None
    if values is not None and np.isnan(values).any():
        return ("returned NaN: e^z / (1 + e^z) is inf / inf once e^z overflows (z > 709); use 1 / (1 + e^(−z)) "
                "for z ≥ 0 and e^z / (1 + e^z) for z < 0, so the exponent is never positive")
    return reason


# ---- sigmoid_grad ----


def sigmoid_grad_cases(rng):
    # |z| stays below 40: the slope of a sigmoid that is right everywhere but in the far tails is still right here
    return [
        Case((2.0,)), Case((-2.0,)), Case((0.0,)),  # z = 2 first: at 0, σ(1 + σ) and 1 − σ² are both 0.75
        Case((np.array([-10.0, -5.0, -2.0, 0.0, 2.0, 5.0, 10.0]),)),
        Case((np.round(rng.normal(0.0, 3.0, size=int(rng.integers(3, 8))), 2),)),
        Case((np.clip(rng.normal(0.0, 8.0, size=(3, 4)), -40.0, 40.0),)),
    ]


def _sigmoid_grad_mistakes(case):
    z = np.asarray(*arguments(case, "z"), dtype=float)
    s = activations.sigmoid(z)
    yield "computed σ(z)(1 + σ(z)): the derivative is σ(z)(1 − σ(z)), with a minus", lambda: s * (1 + s)
    yield ("computed z(1 − z): sigmoid_grad gets z itself, not σ(z); compute s = sigmoid(z) first, then s(1 − s)",
           lambda: z * (1 - z))
    yield "returned σ(z) itself: the slope is σ′(z) = σ(z)(1 − σ(z))", lambda: s
    yield "computed 1 − σ(z)²: that is not the sigmoid's slope; σ′(z) = σ(z)(1 − σ(z))", lambda: 1 - s**2
    yield "computed σ(z)(1 − z): both factors use σ(z), σ′(z) = σ(z)(1 − σ(z))", lambda: s * (1 - z)


def _compare_sigmoid_grad(expected, got, case):
    reason = naming_mistakes(_sigmoid_grad_mistakes)(expected, got, case)
    values = _float_or_none(got) if reason else None
    if values is not None and values.shape == np.shape(expected) and np.allclose(values, expected, rtol=1e-2):
        return ("close to σ′(z) but not equal: a measured slope such as (σ(z + h) − σ(z)) / h is only an "
                "approximation; compute σ(z)(1 − σ(z)) exactly")
    return reason


# ---- train_bend_step ----


def _step(w, b, x, y, lr, y_hat=None, slope=None, factor=2.0, mean=True, sign=-1.0):
    """A gradient step on the bent line, with the knobs the mistakes turn (the right step by default)."""
    z = w * x + b
    y_hat = activations.sigmoid(z) if y_hat is None else y_hat
    slope = activations.sigmoid_grad(z) if slope is None else slope
    dz = factor * (y_hat - y) * slope / (x.size if mean else 1)
    dw, db = float(np.sum(dz * x)), float(np.sum(dz))
    return w + sign * lr * dw, b + sign * lr * db


def _wb(rng):
    return float(np.round(rng.normal(0.0, 2.0), 2)), float(np.round(rng.normal(0.0, 2.0), 2))


def bend_step_cases(rng):
    x, y = POINTS
    n = int(rng.integers(3, 9))
    return [
        Case((1.0, -2.0, x, y)),  # the default learning rate 1.5
        Case((0.5, -1.0, x, y), {"lr": 0.1}),
        Case((*_wb(rng), x, y)),
        Case((*_wb(rng), np.round(rng.uniform(-3, 3, size=n), 2), np.round(rng.uniform(0, 1, size=n), 2)),
             {"lr": float(np.round(rng.uniform(0.2, 2.0), 2))}),
        Case((*_wb(rng), np.round(rng.uniform(-3, 3, size=5), 2), np.round(rng.uniform(0, 1, size=5), 2), 0.7)),
    ]


def _bend_step_mistakes(case):
    w, b, x, y, lr = arguments(case, "w", "b", "x", "y", "lr", lr=1.5)
    ones = np.ones_like(x)
    z = w * x + b
    yield ("left out σ′(z): by the chain rule dL/dz = 2(ŷ − y)·σ′(z)/N, the sigmoid's slope multiplies the error",
           lambda: _step(w, b, x, y, lr, slope=ones))
    yield "left out the factor 2: the derivative of (ŷ − y)² is 2(ŷ − y)", lambda: _step(w, b, x, y, lr, factor=1.0)
    yield ("summed over the points without dividing by N: L is a mean, so each gradient is a mean too",
           lambda: _step(w, b, x, y, lr, mean=False))
    yield "stepped uphill: the update is w − lr·dw and b − lr·db", lambda: _step(w, b, x, y, lr, sign=1.0)
    yield ("used the line's prediction w·x + b: through a sigmoid, ŷ = σ(w·x + b)",
           lambda: _step(w, b, x, y, lr, y_hat=z, slope=ones))
    yield "took σ′ of ŷ instead of z: σ′(z) = ŷ(1 − ŷ), no second sigmoid", \
        lambda: _step(w, b, x, y, lr, slope=activations.sigmoid_grad(activations.sigmoid(z)))
    yield "ignored lr: use the learning rate you are given (1.5 is only the default)", \
        lambda: _step(w, b, x, y, 1.5)

    def at_new_w():
        w_new = _step(w, b, x, y, lr)[0]
        return w_new, _step(w_new, b, x, y, lr)[1]

    yield ("took b's gradient at the new w: both gradients come from the old (w, b), computed before either moves",
           at_new_w)

    def gradients():
        w_new, b_new = _step(w, b, x, y, lr)
        return (w - w_new) / lr, (b - b_new) / lr

    yield "returned the gradients (dw, db): return the parameters after the step, (w − lr·dw, b − lr·db)", gradients


# ---- the exercise ----


def saturation_cases(rng):
    return [Case()]


def compare_saturation(expected, got, case):
    reason = compare_close(expected, got, atol=0.0)  # the point is the small numbers: compare them relatively
    if reason is None:
        return None
    values = _float_or_none(got)
    wanted = ", ".join(f"{v:.3g}" for v in expected)
    if values is not None and values.shape == expected.shape:
        if np.allclose(values, activations.sigmoid(SATURATION_Z), rtol=1e-6, atol=0.0):
            return "that is σ(z) at 0, 2, 5, 10; the table is the slope σ′(z) = σ(z)(1 − σ(z))"
        if np.allclose(values, expected[::-1], rtol=1e-6, atol=0.0):
            return "the order is reversed: σ′ at z = 0, 2, 5, 10, largest first"
        if np.allclose(values, 1 - activations.sigmoid(SATURATION_Z) ** 2, rtol=1e-6, atol=0.0):
            return "that is 1 − σ(z)², not the sigmoid's slope: σ′(z) = σ(z)(1 − σ(z))"
        if np.allclose(values, expected, rtol=0.02, atol=0.0):
            return (f"close but rounded: compute the values with sigmoid_grad instead of typing them in "
                    f"(expected {wanted})")
    if values is not None and values.shape == (7,):
        return "return four values, σ′ at z = 0, 2, 5, 10 in that order (σ′(−z) = σ′(z), so no negatives needed)"
    return f"{reason} (expected σ′ at z = 0, 2, 5, 10: {wanted})"


def vanishing_cases(rng):
    cases = [Case((1,)), Case((2,)), Case((0,)), Case((5,)), Case((10,))]
    cases += [Case((int(L),)) for L in rng.choice(np.arange(11, 41), size=2, replace=False)]
    return cases


def _vanishing_mistakes(case):
    (L,) = arguments(case, "L")
    # first: at L = 0, 0.25·L gives 0 too, but a student who multiplied had already failed at L = 2
    yield "vanishing_product(0) is 1: with no layers nothing shrinks (0.25 ** 0 = 1)", \
        lambda: 0.0 if L == 0 else 0.25**L
    yield "multiplied 0.25 by L: each layer multiplies the gradient by σ′(0) = 0.25, so the product is 0.25 ** L", \
        lambda: 0.25 * L
    yield "used σ(0) = 0.5: the factor per layer is the slope σ′(0) = 0.25", lambda: 0.5**L
    yield "one layer short: L layers give L factors of σ′(0), 0.25 ** L", lambda: 0.25 ** (L - 1)
    yield "one layer too many: L layers give L factors of σ′(0), 0.25 ** L", lambda: 0.25 ** (L + 1)
    for digits in range(1, 16):
        yield "rounded: many layers make the factor tiny, and rounding loses it; return 0.25 ** L as it is", \
            lambda digits=digits: round(0.25**L, digits)


def compare_vanishing(expected, got, case):
    """Relatively (the numbers shrink towards 0: 1e-20 and 1e-30 must not both pass as zero), then name the mistake."""
    reason = compare_close(expected, got, rtol=1e-9, atol=0.0)
    return reason and (naming_mistakes(_vanishing_mistakes)(expected, got, case) or reason)


SPECS = [
    Spec("sigmoid", activations.sigmoid, sigmoid_cases, compare=_compare_sigmoid,
         hint="σ(z) = 1 / (1 + e^(−z)), elementwise, the shape of z; for z < 0 use the equal form e^z / (1 + e^z)"),
    Spec("sigmoid_grad", activations.sigmoid_grad, sigmoid_grad_cases,
         compare=_compare_sigmoid_grad,
         hint="σ′(z) = σ(z)(1 − σ(z)) with σ(z) = sigmoid(z): at most 0.25, at z = 0"),
    Spec("train_bend_step", activations.train_bend_step, bend_step_cases,
         compare=parameters("w", "b", compare=naming_mistakes(_bend_step_mistakes)),
         hint=("with z = w·x + b and ŷ = σ(z): dz = 2(ŷ − y)·σ′(z)/N, dw = Σ dz·x, db = Σ dz; return "
               "(w − lr·dw, b − lr·db); lr defaults to 1.5")),
    Spec("saturation_table", saturation_table, saturation_cases, compare=compare_saturation,
         hint="np.array of sigmoid_grad at z = 0, 2, 5, 10"),
    Spec("vanishing_product", vanishing_product, vanishing_cases,
         compare=compare_vanishing,
         hint="σ′(0) multiplied together L times: sigmoid_grad(0.0) ** L (1.0 for L = 0)"),
]
