"""reference.line: the four points, the MSE, its gradient and gradient descent, checked against hand-worked values,
np.polyfit (a second least-squares implementation) and central differences."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numcheck import arrays, floats, numerical_gradient, raises_naming
from reference import line

pytestmark = pytest.mark.filterwarnings("error")  # the reference never warns (no overflow, no divide by zero)

X, Y = line.DATA[:, 0], line.DATA[:, 1]


def test_data_is_the_four_points():
    """DATA holds (1,0), (2,1), (3,1), (4,0) as rows of (x, y), and cannot be edited by accident."""
    assert line.DATA.shape == (4, 2)
    assert line.DATA.tolist() == [[1, 0], [2, 1], [3, 1], [4, 0]]
    with pytest.raises(ValueError):
        line.DATA[0, 0] = 5


def test_normal_equation_by_hand():
    """By hand: x̄ = 2.5, ȳ = 0.5, Σ(x - x̄)(y - ȳ) = 0.75 - 0.25 + 0.25 - 0.75 = 0, so w = 0 and b = ȳ = 0.5,
    and every point is 0.5 away from the line: MSE = 0.25."""
    w, b = line.normal_equation(X, Y)
    assert w == pytest.approx(0, abs=1e-12)
    assert b == pytest.approx(0.5)
    assert line.mse(line.predict(w, b, X), Y) == pytest.approx(0.25)


def test_gradient_descent_plateaus_at_the_least_squares_line():
    """From (0, 0), plain gradient descent settles on the same line np.polyfit finds, at MSE 0.25, and stays."""
    w, b = 0.0, 0.0
    losses = []
    for _ in range(3000):
        w, b = line.train_line_step(w, b, X, Y)
        losses.append(line.mse(line.predict(w, b, X), Y))
    w_fit, b_fit = np.polyfit(X, Y, 1)
    assert (w, b) == pytest.approx((w_fit, b_fit), abs=1e-6)
    assert losses[-1] == pytest.approx(0.25, abs=1e-10)
    assert abs(losses[-1] - losses[-100]) < 1e-12  # a plateau, not a slow descent
    assert line.line_gradients(w, b, X, Y) == pytest.approx((0, 0), abs=1e-6)


@given(st.integers(2, 20).flatmap(lambda n: st.tuples(arrays(n), arrays(n))))
def test_normal_equation_matches_polyfit(xy):
    x, y = xy
    if np.ptp(x) < 1e-3:  # nearly one x value: the best line is ill-conditioned for either implementation
        return
    assert np.allclose(line.normal_equation(x, y), np.polyfit(x, y, 1), rtol=1e-6, atol=1e-8)


@given(floats(-3, 3), floats(-3, 3), st.integers(1, 10).flatmap(lambda n: st.tuples(arrays(n), arrays(n))))
def test_line_gradients_match_central_differences(w, b, xy):
    x, y = xy

    def loss(w, b):
        return np.mean((w * x + b - y) ** 2)

    assert np.allclose(line.line_gradients(w, b, x, y), numerical_gradient(loss, (w, b)), rtol=1e-6, atol=1e-6)


@given(floats(-3, 3), floats(-3, 3), floats(1e-3, 1), st.integers(1, 10).flatmap(lambda n: st.tuples(arrays(n), arrays(n))))
def test_train_line_step_is_one_step_down_the_numerical_gradient(w, b, lr, xy):
    x, y = xy

    def loss(w, b):
        return np.mean((w * x + b - y) ** 2)

    expected = np.array([w, b]) - lr * numerical_gradient(loss, (w, b))
    assert np.allclose(line.train_line_step(w, b, x, y, lr=lr), expected, rtol=1e-6, atol=1e-6)


def test_train_line_step_default_lr_is_0_05():
    dw, db = line.line_gradients(0.0, 0.0, X, Y)
    assert line.train_line_step(0.0, 0.0, X, Y) == pytest.approx((-0.05 * dw, -0.05 * db))


@settings(max_examples=30)
@given(floats(), floats(), arrays(st.lists(st.integers(0, 3), max_size=3).map(tuple)))
def test_predict_is_elementwise_over_any_shape(w, b, x):
    y_hat = line.predict(w, b, x)
    assert np.shape(y_hat) == x.shape
    assert np.asarray(y_hat).dtype == np.float64
    assert np.allclose(y_hat, w * x + b)


def test_predict_and_mse_types():
    assert isinstance(line.predict(2, 1, 3), float) and line.predict(2, 1, 3) == 7.0
    assert type(line.mse([1, 2], [1, 4])) is float and line.mse([1, 2], [1, 4]) == 2.0


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: line.mse([1.0, 2.0], [1.0]), "y_hat"),
        (lambda: line.mse([], []), "y_hat"),
        (lambda: line.mse([np.nan], [1.0]), "y_hat"),
        (lambda: line.predict("a", 0.0, X), "w"),
        (lambda: line.predict(1.0, np.inf, X), "b"),
        (lambda: line.predict(1.0, 0.0, [1.0, np.nan]), "x"),
        (lambda: line.line_gradients(0.0, 0.0, X, Y[:3]), "x"),
        (lambda: line.line_gradients(0.0, 0.0, X, [np.nan] * 4), "y"),
        (lambda: line.train_line_step(0.0, 0.0, X, Y, lr=0.0), "lr"),
        (lambda: line.train_line_step(0.0, 0.0, X, Y, lr=-0.1), "lr"),
        (lambda: line.normal_equation([2.0, 2.0, 2.0], [0.0, 1.0, 2.0]), "x"),
        (lambda: line.normal_equation(line.DATA, line.DATA), "x"),
        (lambda: line.normal_equation(X, Y[:2]), "x"),
    ],
)
def test_invalid_arguments_name_the_argument(call, name):
    with raises_naming(name):
        call()


def test_messages_say_what_was_expected_and_what_arrived():
    with pytest.raises(ValueError, match=r"lr must be > 0; got -0\.1"):
        line.train_line_step(0.0, 0.0, X, Y, lr=-0.1)
    with pytest.raises(ValueError, match=r"same shape; got \(2,\) and \(1,\)"):
        line.mse([1.0, 2.0], [1.0])
