"""Hidden tests of rung 1 (01_line): predict, mse, line_gradients, train_line_step, normal_equation."""

import numpy as np

from autograder.spec import Case, Spec, compare_default
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
        Case((w, b, _floats(rng, 5))),
        Case((w, b, float(_floats(rng, ())))),  # a scalar x gives a scalar
        Case((*_wb(rng), _floats(rng, (3, 4)))),  # any shape, elementwise
    ]


def mse_cases(rng):
    return [
        Case((np.array([1.0, 2.0]), np.array([1.0, 4.0]))),
        Case(_xy(rng, 4)),
        Case(_xy(rng, 7)),
        Case((_floats(rng, (2, 3)), _floats(rng, (2, 3)))),
    ]


def gradient_cases(rng):
    return [
        Case((0.0, 0.0, *POINTS)),
        Case((1.0, 0.0, np.array([1.0, 2.0]), np.array([0.0, 0.0]))),
        Case((*_wb(rng), *_xy(rng, 4))),
        Case((*_wb(rng), *_xy(rng, 9))),
    ]


def step_cases(rng):
    return [
        Case((0.0, 0.0, *POINTS)),
        Case((*_wb(rng), *_xy(rng, 4)), {"lr": 0.1}),
        Case((*_wb(rng), *_xy(rng, 6), float(np.round(rng.uniform(0.01, 0.5), 3)))),
        Case((*_wb(rng), *_xy(rng, 5))),  # the default learning rate 0.05
    ]


def normal_cases(rng):
    x = np.arange(1.0, 7.0)
    return [
        Case(POINTS),
        Case((np.array([0.0, 1.0, 2.0]), np.array([1.0, 3.0, 5.0]))),  # an exact line: w = 2, b = 1
        Case((x, np.round(0.5 * x - 1 + rng.normal(0, 0.3, size=x.size), 2))),
        Case(_xy(rng, 8)),
    ]


def compare_pair(first: str, second: str):
    """Compare a (first, second) tuple, naming which of the two is off."""

    def compare(expected, got, case):
        reason = compare_default(expected, got, case)
        if reason and reason.startswith("item "):
            index, rest = reason[5], reason.split(": ", 1)[1]
            return f"{(first, second)[int(index)]} is off ({rest})"
        return reason

    return compare


SPECS = [
    Spec("predict", line.predict, predict_cases,
         hint="ŷ = w·x + b, elementwise, the same shape as x (w is the slope, b the intercept)"),
    Spec("mse", line.mse, mse_cases,
         hint="the mean of the squared differences (ŷ − y)²: a mean, not a sum, and no 1/2"),
    Spec("line_gradients", line.line_gradients, gradient_cases, compare=compare_pair("dw", "db"),
         hint="dw = mean(2(ŷ − y)·x) and db = mean(2(ŷ − y)) with ŷ = w·x + b; mind the factor 2 and the sign"),
    Spec("train_line_step", line.train_line_step, step_cases, compare=compare_pair("w", "b"),
         hint="step downhill: w − lr·dw and b − lr·db, both gradients taken at the old (w, b); lr defaults to 0.05"),
    Spec("normal_equation", line.normal_equation, normal_cases, compare=compare_pair("w", "b"),
         hint="solve (AᵀA)θ = Aᵀy with A = [x, 1] and return (w, b) in that order"),
]
