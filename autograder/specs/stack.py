"""Hidden tests of rung 3 (03_stack): relu, relu_grad and the two-neuron bump's gradient step.

As in rung 4, each compare names the common mistake whose result equals the student's on the same inputs.
"""

import numpy as np

from autograder.spec import Case, Spec, arguments, naming_mistakes, parameters
from autograder.specs.line import POINTS
from reference import activations

FUNCTIONS = {"sigmoid": (activations.sigmoid, activations.sigmoid_grad),
             "relu": (activations.relu, activations.relu_grad)}


# ---- relu ----


def relu_cases(rng):
    return [
        Case((np.array([-2.0, -0.5, 0.0, 0.5, 2.0]),)),
        Case((3.0,)), Case((-2.0,)), Case((0.0,)),
        Case((np.array([-3, 0, 4]),)),  # an integer z
        Case((np.round(rng.normal(0.0, 2.0, size=int(rng.integers(4, 9))), 2),)),
        Case((rng.normal(0.0, 2.0, size=(3, 4)),)),
    ]


def _relu_mistakes(case):
    z = np.asarray(*arguments(case, "z"), dtype=float)
    yield "returned |z|: a negative z gives 0, not its size (max(z, 0), not abs)", lambda: np.abs(z)
    yield ("np.max(z, 0) is the largest entry along axis 0; the elementwise max(z, 0) is np.maximum(z, 0)",
           lambda: np.max(z, 0))
    yield "returned z unchanged: negative z must become 0", lambda: z
    yield "returned min(z, 0): keep the positive part, max(z, 0)", lambda: np.minimum(z, 0.0)
    yield "returned the slope (1 where z > 0): relu itself is max(z, 0)", lambda: (z > 0).astype(float)
    yield "capped at 1: relu keeps every positive z as it is, max(z, 0) has no upper limit", \
        lambda: np.clip(z, 0.0, 1.0)
    yield "a leaky ReLU (0.01·z for negative z): relu is exactly 0 there, max(z, 0)", lambda: np.maximum(z, 0.01 * z)


# ---- relu_grad ----


def relu_grad_cases(rng):
    return [
        Case((np.array([-2.0, -0.5, 0.0, 0.5, 2.0]),)),
        Case((0.0,)), Case((3.0,)), Case((-2.0,)),
        Case((np.array([-2, 0, 3]),)),  # an integer z: the slope is still the floats 0.0 and 1.0
        Case((rng.integers(-3, 4, size=int(rng.integers(5, 10))).astype(float),)),  # whole numbers: some exactly 0
        Case((rng.normal(0.0, 2.0, size=(3, 4)),)),
    ]


def _relu_grad_mistakes(case):
    z = np.asarray(*arguments(case, "z"), dtype=float)
    yield "relu′(0) must be 0: use z > 0, not z >= 0", lambda: (z >= 0).astype(float)
    yield "relu′(0) is 0 here by convention, not 1/2", lambda: np.heaviside(z, 0.5)
    yield "returned −1 for negative z (np.sign): relu′ is 0 there", lambda: np.sign(z)
    yield "returned relu(z) itself: the slope is 1 where z > 0 and 0 elsewhere", lambda: np.maximum(z, 0.0)
    yield "divided relu(z) by z: at z = 0 that is 0 / 0 = NaN, and relu′(0) is 0 by convention", \
        lambda: np.maximum(z, 0.0) / z


def _not_floats(got):
    """A reason when `got` holds the slope as integers or booleans instead of the floats 0.0 and 1.0, else None."""
    if isinstance(got, np.ndarray) and got.dtype.kind in "biu":
        return (f"returned an array of dtype {got.dtype}: relu_grad returns the floats 1.0 and 0.0 "
                "(np.where(z > 0, 1, 0) and np.zeros_like of an integer z both give integers); convert with "
                ".astype(float)")
    if isinstance(got, (bool, int)):
        return f"returned {got!r}, not a float: relu_grad returns 1.0 or 0.0"
    return None


def _compare_relu_grad(expected, got, case):
    return naming_mistakes(_relu_grad_mistakes)(expected, got, case) or _not_floats(got)


# ---- train_stack_step ----


def _bump(w1, b1, w2, b2, x, y, lr, activation, act=None, act_grad=None, sign2=-1.0, out2=-1.0, factor=2.0,
          mean=True, step=-1.0):
    """A gradient step on ŷ = act(z1) − act(z2), with the knobs the mistakes turn (the right step by default).

    out2 : the second neuron's sign in ŷ;  sign2 : its sign in the gradient;  act_grad : the slope used.
    """
    right_act, right_grad = FUNCTIONS[activation]
    act, act_grad = act or right_act, act_grad or right_grad
    z1, z2 = w1 * x + b1, w2 * x + b2
    r = factor * (act(z1) + out2 * act(z2) - y) / (x.size if mean else 1)
    d1, d2 = r * act_grad(z1), sign2 * r * act_grad(z2)
    return (w1 + step * lr * float(np.sum(d1 * x)), b1 + step * lr * float(np.sum(d1)),
            w2 + step * lr * float(np.sum(d2 * x)), b2 + step * lr * float(np.sum(d2)))


def _params(rng, x):
    """Four rounded parameters whose z = w·x + b stays away from 0 (where relu′ jumps) at every x."""
    while True:
        w1, b1, w2, b2 = (float(v) for v in np.round(rng.normal(0.0, 1.5, size=4), 2))
        if np.abs(w1 * x + b1).min() > 1e-3 and np.abs(w2 * x + b2).min() > 1e-3:
            return w1, b1, w2, b2


def stack_step_cases(rng):
    x, y = POINTS
    cases = [
        Case((1.0, -1.5, 1.0, -3.5, x, y, 0.5)),  # the default activation, sigmoid: a soft step up, a soft step down
        Case((1.0, -1.5, 1.0, -3.5, x, y, 0.05), {"activation": "relu"}),
        Case((1.0, -0.5, -1.0, -1.0, x, y, 0.05), {"activation": "relu"}),  # z2 < 0 at every x: neuron 2 is dead
        # z1 = 0 at x = 2 and z2 = 0 at x = 3: relu′(0) = 0 counts there
        Case((1.0, -2.0, 1.0, -3.0, x, y, 0.05), {"activation": "relu"}),
        Case((*_params(rng, x), x, y, 0.5), {"activation": "sigmoid"}),
        Case((*_params(rng, x), x, y, 0.05), {"activation": "relu"}),
    ]
    for activation in ("sigmoid", "relu"):
        n = int(rng.integers(3, 8))
        xs, ys = np.round(rng.uniform(-3, 3, size=n), 2), np.round(rng.uniform(0, 1, size=n), 2)
        lr = float(np.round(rng.uniform(0.05, 0.5), 2))
        cases.append(Case((*_params(rng, xs), xs, ys, lr), {"activation": activation}))
    cases.append(Case((1.0, -1.5, 1.0, -3.5, x, y, 0.5), {"activation": "tanh"}))  # not an option: ValueError
    return cases


def _stack_step_mistakes(case):
    w1, b1, w2, b2, x, y, lr, activation = arguments(case, "w1", "b1", "w2", "b2", "x", "y", "lr", "activation",
                                                 activation="sigmoid")
    if activation not in FUNCTIONS:
        return
    p = (w1, b1, w2, b2, x, y, lr, activation)
    other = "relu" if activation == "sigmoid" else "sigmoid"
    yield ("the second neuron's gradient lost its minus: ŷ = act(z1) − act(z2), so dL/dz2 = −2(ŷ − y)·act′(z2)/N",
           lambda: _bump(*p, sign2=1.0))
    yield (f"used the {other}'s slope with activation='{activation}': each activation needs its own derivative",
           lambda: _bump(*p, act_grad=FUNCTIONS[other][1]))
    yield (f"ignored activation='{activation}' and used the {other} throughout",
           lambda: _bump(w1, b1, w2, b2, x, y, lr, other))
    yield "added the neurons: the bump is ŷ = act(z1) − act(z2), a difference", \
        lambda: _bump(*p, out2=1.0, sign2=1.0)
    yield "added the neurons in ŷ: the bump is act(z1) − act(z2)", lambda: _bump(*p, out2=1.0)
    yield "left out the factor 2: the derivative of (ŷ − y)² is 2(ŷ − y)", lambda: _bump(*p, factor=1.0)
    yield "summed over the points without dividing by N: L is a mean", lambda: _bump(*p, mean=False)
    yield "stepped uphill: each parameter moves by −lr times its gradient", lambda: _bump(*p, step=1.0)
    if activation == "relu":
        yield "used relu′(0) = 1 (z >= 0): the slope at z = 0 is 0, as relu_grad has it (z > 0)", \
            lambda: _bump(*p, act_grad=lambda z: (z >= 0).astype(float))


SPECS = [
    Spec("relu", activations.relu, relu_cases, compare=naming_mistakes(_relu_mistakes),
         hint="relu(z) = max(z, 0) elementwise (np.maximum), the shape of z"),
    Spec("relu_grad", activations.relu_grad, relu_grad_cases, compare=_compare_relu_grad,
         hint="1.0 where z > 0, 0.0 elsewhere, including at z = 0; the shape of z"),
    Spec("train_stack_step", activations.train_stack_step, stack_step_cases,
         compare=parameters("w1", "b1", "w2", "b2", compare=naming_mistakes(_stack_step_mistakes)),
         hint=("with z_k = w_k·x + b_k, ŷ = act(z1) − act(z2) and r = 2(ŷ − y)/N: dz1 = r·act′(z1), "
               "dz2 = −r·act′(z2), dw_k = Σ dz_k·x, db_k = Σ dz_k; each parameter minus lr times its gradient; "
               "a ValueError for an activation other than 'sigmoid' or 'relu'")),
]
