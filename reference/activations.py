"""Rungs 2 and 3: bending the line with an activation, and stacking two neurons into a bump.

Rung 2 fits ŷ = σ(w x + b); rung 3 fits ŷ = act(w1 x + b1) - act(w2 x + b2) with act a sigmoid or a ReLU.
The loss is always L = mean((ŷ - y)²), and each step is (params) <- (params) - lr * dL/d(params).
"""

import numpy as np

from reference import _checks as check


def sigmoid(z):
    """The logistic sigmoid σ(z) = 1 / (1 + e^(-z)), computed without overflow.

    e^(-z) overflows for z below about -709, so for z < 0 use the equal form e^z / (1 + e^z): either way the
    exponent is -|z| <= 0.

    Parameters
    ----------
    z : float or ndarray of any shape

    Returns
    -------
    s : float or ndarray of the shape of `z`, in [0, 1]
    """
    z = check.array(z, "z", inf="any")
    return check.elementwise_result(_sigmoid(z))


def _sigmoid(z):
    e = np.exp(-np.abs(z))  # in (0, 1]: never overflows
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_grad(z):
    """The sigmoid's derivative σ'(z) = σ(z) (1 - σ(z)) = σ(z) σ(-z); at most 0.25, at z = 0.

    Written as σ(z) σ(-z) so the small factor is never computed as 1 minus a number close to 1.

    Parameters
    ----------
    z : float or ndarray of any shape

    Returns
    -------
    ds : float or ndarray of the shape of `z`, in [0, 0.25]
    """
    z = check.array(z, "z", inf="any")
    return check.elementwise_result(_sigmoid_grad(z))


def _sigmoid_grad(z):
    return _sigmoid(z) * _sigmoid(-z)


def relu(z):
    """The rectified linear unit relu(z) = max(z, 0).

    Parameters
    ----------
    z : float or ndarray of any shape

    Returns
    -------
    r : float or ndarray of the shape of `z`
    """
    z = check.array(z, "z", inf="any")
    return check.elementwise_result(_relu(z))


def _relu(z):
    return np.maximum(z, 0.0)


def relu_grad(z):
    """The ReLU's derivative: 1 where z > 0, else 0 (0 at z == 0 by convention).

    Parameters
    ----------
    z : float or ndarray of any shape

    Returns
    -------
    dr : float or ndarray of the shape of `z`, each 0.0 or 1.0
    """
    z = check.array(z, "z", inf="any")
    return check.elementwise_result(_relu_grad(z))


def _relu_grad(z):
    return (z > 0).astype(np.float64)


def train_bend_step(w, b, x, y, lr=1.5):
    """One gradient-descent step for the bent line ŷ = σ(w x + b) on L = mean((ŷ - y)²).

    With z = w x + b:  dL/dz = 2 (ŷ - y) σ'(z) / N,  dL/dw = Σ dL/dz · x,  dL/db = Σ dL/dz.

    Parameters
    ----------
    w, b : float
    x, y : ndarray of the same shape, non-empty
    lr : float > 0

    Returns a tuple of
    -------
    w, b : float
        The parameters after the step.
    """
    w, b = check.real(w, "w"), check.real(b, "b")
    x, y = check.pair(x, y, "x", "y")
    lr = check.positive(lr, "lr")
    z = w * x + b
    dz = 2 * (_sigmoid(z) - y) * _sigmoid_grad(z) / x.size  # chain rule: dL/dŷ · dŷ/dz
    return w - lr * float(np.sum(dz * x)), b - lr * float(np.sum(dz))


# each activation with its derivative, for the stack
ACTIVATIONS = {"sigmoid": (_sigmoid, _sigmoid_grad), "relu": (_relu, _relu_grad)}


def train_stack_step(w1, b1, w2, b2, x, y, lr, activation="sigmoid"):
    """One gradient-descent step for the two-neuron bump ŷ = act(w1 x + b1) - act(w2 x + b2).

    With z_k = w_k x + b_k and r = 2 (ŷ - y) / N:
    dL/dw1 = Σ r act'(z1) x,  dL/db1 = Σ r act'(z1),  dL/dw2 = -Σ r act'(z2) x,  dL/db2 = -Σ r act'(z2).

    Parameters
    ----------
    w1, b1, w2, b2 : float
        The two neurons' weights and biases.
    x, y : ndarray of the same shape, non-empty
    lr : float > 0
    activation : {"sigmoid", "relu"}

    Returns a tuple of
    -------
    w1, b1, w2, b2 : float
        The parameters after the step.
    """
    w1, b1, w2, b2 = (check.real(v, name) for v, name in zip((w1, b1, w2, b2), ("w1", "b1", "w2", "b2")))
    x, y = check.pair(x, y, "x", "y")
    lr = check.positive(lr, "lr")
    act, act_grad = ACTIVATIONS[check.choice(activation, "activation", tuple(ACTIVATIONS))]
    z1, z2 = w1 * x + b1, w2 * x + b2
    r = 2 * (act(z1) - act(z2) - y) / x.size  # dL/dŷ
    d1, d2 = r * act_grad(z1), -r * act_grad(z2)  # dL/dz1, dL/dz2 (the second neuron enters with a minus)
    return (w1 - lr * float(np.sum(d1 * x)), b1 - lr * float(np.sum(d1)),
            w2 - lr * float(np.sum(d2 * x)), b2 - lr * float(np.sum(d2)))
