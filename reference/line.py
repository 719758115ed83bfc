"""Rung 1: a line through four points, its mean squared error, and gradient descent on it.

The model is ŷ = w x + b; the loss is L = mean((ŷ - y)²).
"""

import numpy as np

from reference import _checks as check

# the four points (x, y) of the first rung: (1, 0), (2, 1), (3, 1), (4, 0); read-only so nobody edits it by accident
DATA = np.array([[1.0, 0.0], [2.0, 1.0], [3.0, 1.0], [4.0, 0.0]])
DATA.setflags(write=False)


def predict(w, b, x):
    """The line's prediction ŷ = w x + b, elementwise.

    Parameters
    ----------
    w, b : float
        Slope and intercept.
    x : float or ndarray of any shape

    Returns
    -------
    y_hat : float or ndarray of the shape of `x`
    """
    w, b = check.real(w, "w"), check.real(b, "b")
    x = check.array(x, "x")
    return check.elementwise_result(w * x + b)


def mse(y_hat, y):
    """Mean squared error L = mean((ŷ - y)²).

    Parameters
    ----------
    y_hat, y : ndarray of the same shape, non-empty

    Returns
    -------
    loss : float
    """
    y_hat, y = check.pair(y_hat, y, "y_hat", "y")
    return float(np.mean((y_hat - y) ** 2))


def line_gradients(w, b, x, y):
    """Gradient of L = mean((w x + b - y)²) with respect to w and b.

    dL/dw = mean(2 (ŷ - y) x),   dL/db = mean(2 (ŷ - y))

    Parameters
    ----------
    w, b : float
    x, y : ndarray of the same shape, non-empty

    Returns a tuple of
    -------
    dw, db : float
    """
    w, b = check.real(w, "w"), check.real(b, "b")
    x, y = check.pair(x, y, "x", "y")
    return _line_gradients(w, b, x, y)


def _line_gradients(w, b, x, y):
    r = 2 * (w * x + b - y)  # dL/dŷ, times N
    return float(np.mean(r * x)), float(np.mean(r))


def train_line_step(w, b, x, y, lr=0.05):
    """One step of gradient descent on the line: (w, b) <- (w, b) - lr * (dL/dw, dL/db).

    Parameters
    ----------
    w, b : float
    x, y : ndarray of the same shape, non-empty
    lr : float > 0
        The learning rate (step size).

    Returns a tuple of
    -------
    w, b : float
        The parameters after the step.
    """
    w, b = check.real(w, "w"), check.real(b, "b")
    x, y = check.pair(x, y, "x", "y")
    lr = check.positive(lr, "lr")
    dw, db = _line_gradients(w, b, x, y)
    return w - lr * dw, b - lr * db


def normal_equation(x, y):
    """The least-squares line in one solve, no iterations: the normal equation (Aᵀ A) θ = Aᵀ y.

    A = [x, 1] (one row per point), θ = (w, b).

    Parameters
    ----------
    x, y : ndarray of shape `(N,)`
        At least two distinct x values (otherwise no single line fits best).

    Returns a tuple of
    -------
    w, b : float
    """
    x, y = check.pair(x, y, "x", "y", ndim=1)
    if np.ptp(x) == 0:
        raise ValueError(f"x must hold at least two distinct values for a unique best line; got all x = {x[0]:g}")
    A = np.stack([x, np.ones_like(x)], axis=1)  # (N, 2)
    w, b = np.linalg.solve(A.T @ A, A.T @ y)  # (2, N) x (N, 2) -> (2, 2);  (2, N) x (N,) -> (2,)
    return float(w), float(b)

