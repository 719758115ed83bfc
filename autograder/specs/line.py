"""Hidden tests of rung 1 (01_line): predict, mse, line_gradients, train_line_step, normal_equation."""

import numpy as np

from autograder.spec import (Case, Mistake, Spec, arguments, compare_default, mistake, parameters, quietly,
                             same_result, slug)
from reference import line

POINTS = line.DATA[:, 0].copy(), line.DATA[:, 1].copy()  # the four points of the notebook


def _floats(rng, shape, scale=3.0):
    # rounded so a failing case reads well in the message; still fresh for every seed
    return np.round(rng.uniform(-scale, scale, size=shape), 2)


def _wb(rng):
    w, b = _floats(rng, 2)
    return float(w), float(b)


def _xy(rng, n):
    return _floats(rng, n), _floats(rng, n)


def predict_cases(rng):
    w, b = _wb(rng)
    return [
        Case((2.0, 1.0, np.array([0.0, 1.0, 2.0]))),
        Case((0.5, -1.0, np.array([1, 2, 3]))),  # an integer x: ŷ still has fractions
        Case((w, b, _floats(rng, 5))),
        Case((w, b, float(_floats(rng, ())))),  # a scalar x gives a scalar
        Case((*_wb(rng), _floats(rng, (3, 4)))),  # any shape, elementwise
    ]


def mse_cases(rng):
    return [
        Case((np.array([1.0, 2.0]), np.array([2.0, 4.0]))),  # no gap is 0: a sum, a half, a squared mean all differ
        Case((np.array([3.0]), np.array([1.0]))),  # a single point
        Case((np.array([1, 2, 3]), np.array([0, 0, 0]))),  # integers: the mean 14/3 is not one
        Case((np.array([[1.0, 0.0, 0.0], [0.0, 2.0, 0.0]]), np.zeros((2, 3)))),  # 2-D: the mean of all six entries
        Case(_xy(rng, 4)),
        Case(_xy(rng, 7)),
        Case((_floats(rng, (2, 3)), _floats(rng, (2, 3)))),
    ]


def gradient_cases(rng):
    return [
        Case((0.0, 0.0, *POINTS)),
        Case((1.0, 0.0, np.array([1.0, 2.0]), np.array([0.0, 0.0]))),
        Case((2.0, 1.0, np.array([3.0]), np.array([4.0]))),  # a single point; dw = 18 is no small number
        Case((0.5, 0.0, np.array([1, 2, 3]), np.array([0, 1, 1]))),  # integer x and y
        Case((*_wb(rng), *_xy(rng, 4))),
        Case((*_wb(rng), *_xy(rng, 9))),
    ]


def step_cases(rng):
    # no fixed lr is 0.05 times 2 or N: a step taken with the default lr never looks like a lost factor 2 or a sum
    return [
        Case((0.0, 0.0, *POINTS)),  # the default learning rate 0.05
        Case((1.0, -1.0, *POINTS), {"lr": 0.3}),
        Case((1.0, 0.0, np.array([2.0]), np.array([1.0]), 0.5)),  # a single point, a large lr
        Case((0, 1, np.array([1, 2, 3]), np.array([2, 3, 5])), {"lr": 0.02}),  # integers everywhere
        Case((*_wb(rng), *_xy(rng, 4)), {"lr": 0.1}),
        Case((*_wb(rng), *_xy(rng, 6), float(np.round(rng.uniform(0.01, 0.5), 3)))),
        Case((*_wb(rng), *_xy(rng, 5))),  # the default learning rate 0.05
    ]


def normal_cases(rng):
    x = np.arange(1.0, 7.0)
    return [
        Case(POINTS),
        Case((np.array([0.0, 1.0, 2.0]), np.array([1.0, 3.0, 5.0]))),  # an exact line: w = 2, b = 1
        Case((np.array([0, 1, 2, 3]), np.array([0, 2, 1, 3]))),  # integers; w = 0.8, not the end points' 1
        Case((np.array([1.0, 3.0]), np.array([2.0, 6.0]))),  # two points, the fewest that fix a line
        Case((x, np.round(0.5 * x - 1 + rng.normal(0, 0.3, size=x.size), 2))),
        Case(_xy(rng, 8)),
    ]


def naming_one(mistakes, *checks):
    """A compare: the default check, then the one mistake of ``mistakes(case)`` whose result the student's equals.

    A result that mistakes with different explanations all give is not named: that case cannot tell which was made.
    With no mistake matching, each ``check(expected, got, case)`` may still name what went wrong (else None).
    """

    def compare(expected, got, case):
        reason = compare_default(expected, got, case)
        if reason is None:
            return None
        named = {why for why, wrong in mistakes(case) if same_result(quietly(wrong), got)}
        if named:
            return _labelled(named.pop()) if len(named) == 1 else reason
        return next((found for check in checks if (found := check(expected, got, case))), reason)

    return compare


def _labelled(why):
    """A named mistake with its label: the one it was given, else the slug of its explanation."""
    return why if isinstance(why, Mistake) else mistake(slug(why), why)


def integer_dtype(advice: str):
    """A check naming a result of integer dtype as what went wrong: an integer array cannot hold a fraction."""

    def check(expected, got, case):
        if isinstance(got, np.ndarray) and got.dtype.kind in "biu":
            return mistake("integer-dtype",
                           f"returned an array of dtype {got.dtype}, which drops every fraction: {advice}")
        return None

    return check


def _as_floats(*arrays):
    return [np.asarray(a, dtype=float) for a in arrays]


def _elementwise(a):
    return a[()] if a.ndim == 0 else a  # a number for a number, as the reference returns


def _predict_mistakes(case):
    w, b, x = arguments(case, "w", "b", "x")
    (x,) = _as_floats(x)
    yield "subtracted the intercept: ŷ = w·x + b", lambda: _elementwise(w * x - b)
    yield "swapped the slope and the intercept: w multiplies x, then b is added", lambda: _elementwise(b * x + w)
    yield "computed w·(x + b): only x is multiplied by w, ŷ = w·x + b", lambda: _elementwise(w * (x + b))


def _mse_mistakes(case):
    y_hat, y = _as_floats(*arguments(case, "y_hat", "y"))
    squares = (y_hat - y) ** 2
    yield "a sum, not a mean: L is the mean of the squared gaps (np.mean)", lambda: float(np.sum(squares))
    yield "halved: L = mean((ŷ − y)²) has no 1/2", lambda: float(np.mean(squares) / 2)
    yield ("averaged over the last axis only: mse is one number, the mean over every entry (np.mean without axis)",
           lambda: np.mean(squares, axis=-1))
    yield ("squared the mean gap, mean(ŷ − y)²: square each gap first, then take the mean, mean((ŷ − y)²)",
           lambda: float(np.mean(y_hat - y) ** 2))
    yield ("divided by len(y), the number of rows: a 2-D y has y.size entries, and the mean is over all of them",
           lambda: float(np.sum(squares) / len(y)))


def _gradient_parts(w, b, x, y):
    x, y = _as_floats(x, y)
    return x, 2 * (w * x + b - y)  # r = dL/dŷ for each point, times N


def _gradient_mistakes(case):
    w, b, x, y = arguments(case, "w", "b", "x", "y")
    x, r = _gradient_parts(w, b, x, y)
    dw, db = float(np.mean(r * x)), float(np.mean(r))
    yield "left out the factor 2: the derivative of (ŷ − y)² is 2(ŷ − y)", lambda: (dw / 2, db / 2)
    yield "the sign is flipped: use ŷ − y, not y − ŷ", lambda: (-dw, -db)
    yield "dw lacks the factor x: dL/dw = mean(2(ŷ − y)·x)", lambda: (db, db)
    yield ("dw is a product of two means, mean(2(ŷ − y))·mean(x): take the mean of the products, "
           "mean(2(ŷ − y)·x)"), lambda: (float(np.mean(r) * np.mean(x)), db)
    yield "summed over the points: L is a mean, so each gradient is a mean too", \
        lambda: (float(np.sum(r * x)), float(np.sum(r)))


def _round(c: float) -> bool:
    """1, 2 or 5 times a power of ten: a bound someone would pick."""
    return any(np.isclose(c, m * 10.0 ** np.floor(np.log10(c))) for m in (1, 2, 5, 10))


def _clipped(expected, got, case):
    """A reason when `got` is `expected` clipped to [−c, c] for a round c below its largest size, else None."""
    try:
        values, wanted = _as_floats(got, expected)
    except (TypeError, ValueError):
        return None
    if values.shape != wanted.shape or values.size == 0:
        return None
    c = float(np.max(np.abs(values)))
    if 0 < c < np.max(np.abs(wanted)) and _round(c) and np.allclose(values, np.clip(wanted, -c, c)):
        return mistake("clipped-gradients", f"clipped the gradients to ±{c:g}: gradient descent needs the true "
                       "gradient, however large; return the means as they are")
    return None


def _step_mistakes(case):
    w, b, x, y, lr = arguments(case, "w", "b", "x", "y", "lr", lr=0.05)
    x, r = _gradient_parts(w, b, x, y)
    dw, db = float(np.mean(r * x)), float(np.mean(r))
    yield "stepped uphill: the update is w − lr·dw and b − lr·db", lambda: (w + lr * dw, b + lr * db)
    yield "summed over the points without dividing by N: the gradients are means", \
        lambda: (w - lr * x.size * dw, b - lr * x.size * db)
    yield "left out the factor 2 of the gradient: dL/dŷ = 2(ŷ − y)", lambda: (w - lr * dw / 2, b - lr * db / 2)

    def at_new_w():
        w_new = w - lr * dw
        return w_new, b - lr * float(np.mean(2 * (w_new * x + b - y)))

    yield "took b's gradient at the new w: both gradients come from the old (w, b), computed before either moves", \
        at_new_w


def _other_lr(expected, got, case):
    """A reason when `got` is the right step taken with a learning rate other than the case's lr, else None."""
    w, b, x, y, lr = arguments(case, "w", "b", "x", "y", "lr", lr=None)
    try:
        w_new, b_new = (float(v) for v in got)
    except (TypeError, ValueError):
        return None
    x, r = _gradient_parts(w, b, x, y)
    dw, db = float(np.mean(r * x)), float(np.mean(r))
    if dw == 0 and db == 0:
        return None
    used = (w - w_new) / dw if abs(dw) >= abs(db) else (b - b_new) / db
    if np.isclose(used, lr or 0.05) or not same_result((w - used * dw, b - used * db), (w_new, b_new)):
        return None
    given = f"the given lr = {lr:g}" if lr is not None else "the default lr = 0.05"
    return mistake("lr-ignored",
                   f"stepped with learning rate {used:.4g} instead of {given}: use lr exactly as it comes")


def _normal_mistakes(case):
    x, y = _as_floats(*arguments(case, "x", "y"))

    def through_means(w):
        return float(w), float(np.mean(y) - w * np.mean(x))  # the best b for a given slope w

    def reversed_pair():
        w, b = line.normal_equation(x, y)
        return b, w

    yield "returned (b, w): with A = [x, 1] the solve gives θ = (w, b), slope first", reversed_pair
    yield ("np.cov divides by N − 1 but np.var by N: use the same divisor above and below (or solve the normal "
           "equation)"), lambda: through_means(line.normal_equation(x, y)[0] * x.size / (x.size - 1))
    yield "drew the line through the first and last point: least squares weighs every point", \
        lambda: through_means((y[-1] - y[0]) / (x[-1] - x[0]))
    yield "fitted a line through the origin (b = 0): A = [x, 1] needs its column of ones, so that b is fitted too", \
        lambda: (float(np.sum(x * y) / np.sum(x * x)), 0.0)


SPECS = [
    Spec("predict", line.predict, predict_cases,
         compare=naming_one(_predict_mistakes,
                            integer_dtype("np.zeros_like(x) of an integer x is an integer array; start from floats")),
         hint="ŷ = w·x + b, elementwise, the same shape as x (w is the slope, b the intercept)"),
    Spec("mse", line.mse, mse_cases, compare=naming_one(_mse_mistakes),
         hint="the mean of the squared differences (ŷ − y)²: a mean, not a sum, and no 1/2"),
    Spec("line_gradients", line.line_gradients, gradient_cases,
         compare=parameters("dw", "db", compare=naming_one(_gradient_mistakes, _clipped)),
         hint="dw = mean(2(ŷ − y)·x) and db = mean(2(ŷ − y)) with ŷ = w·x + b; mind the factor 2 and the sign"),
    Spec("train_line_step", line.train_line_step, step_cases,
         compare=parameters("w", "b", compare=naming_one(_step_mistakes, _other_lr)),
         hint="step downhill: w − lr·dw and b − lr·db, both gradients taken at the old (w, b); lr defaults to 0.05"),
    Spec("normal_equation", line.normal_equation, normal_cases,
         compare=parameters("w", "b", compare=naming_one(_normal_mistakes)),
         hint="solve (AᵀA)θ = Aᵀy with A = [x, 1] and return (w, b) in that order"),
]
