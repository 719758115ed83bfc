"""reference.activations: sigmoid and ReLU with their derivatives, the bent line and the two-neuron bump, checked
against the hand-worked saturation table, scipy.special.expit and central differences."""

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from scipy.special import expit

from numcheck import arrays, floats, numerical_gradient, raises_naming
from reference import activations as act
from reference.line import DATA

pytestmark = pytest.mark.filterwarnings("error")  # in particular: no overflow warning at ±1000

X, Y = DATA[:, 0], DATA[:, 1]
SHAPES = st.lists(st.integers(0, 3), max_size=3).map(tuple)


def two_digits(v):
    """v rounded to 2 significant digits, as in the notebook's saturation table."""
    return float(f"{v:.2g}")


@pytest.mark.parametrize("z, expected", [(0, 0.25), (2, 0.105), (-2, 0.105), (5, 0.0066), (-5, 0.0066),
                                         (10, 4.5e-5), (-10, 4.5e-5)])
def test_saturation_table(z, expected):
    """σ'(z) = σ(z)(1 - σ(z)): 0.25 at 0, then 0.105 (≈ 0.10), 0.0066 and 4.5e-5 as the sigmoid saturates."""
    assert two_digits(act.sigmoid_grad(z)) == two_digits(expected)


def test_vanishing_product_over_ten_layers():
    """Even at its best (z = 0), each sigmoid layer multiplies the gradient by 0.25: 0.25**10 ≈ 9.5e-7."""
    product = np.prod(act.sigmoid_grad(np.zeros(10)))
    assert two_digits(product) == 9.5e-7
    assert product == pytest.approx(0.25**10)


def test_sigmoid_at_plus_minus_1000_without_overflow():
    """e^1000 overflows float64; the stable form never computes it (warnings are errors in this module)."""
    assert act.sigmoid(1000.0) == 1.0
    assert act.sigmoid(-1000.0) == 0.0
    assert act.sigmoid(np.array([-1000.0, 1000.0])).tolist() == [0.0, 1.0]
    assert act.sigmoid_grad(np.array([-1000.0, 1000.0])).tolist() == [0.0, 0.0]


@given(arrays(SHAPES, -800, 800))
def test_sigmoid_matches_scipy_expit(z):
    s = act.sigmoid(z)
    assert np.shape(s) == z.shape and np.asarray(s).dtype == np.float64
    assert np.allclose(s, expit(z), rtol=1e-12, atol=1e-300)
    assert np.allclose(act.sigmoid(-z) + s, 1, rtol=0, atol=1e-15)  # σ(-z) = 1 - σ(z)


@given(floats(-30, 30))
def test_sigmoid_grad_matches_central_differences(z):
    # near σ = 1 the difference quotient loses digits to cancellation: compare relatively and absolutely
    assert act.sigmoid_grad(z) == pytest.approx(numerical_gradient(act.sigmoid, (z,))[0], rel=1e-6, abs=1e-9)


@given(floats(-30, 30).filter(lambda z: abs(z) > 1e-3))
def test_relu_grad_matches_central_differences_away_from_0(z):
    assert act.relu_grad(z) == pytest.approx(numerical_gradient(act.relu, (z,), h=1e-5)[0], abs=1e-6)


def test_relu_and_its_derivative_by_hand():
    z = np.array([-2.0, -0.0, 0.0, 0.5, 3.0])
    assert act.relu(z).tolist() == [0, 0, 0, 0.5, 3]
    assert act.relu_grad(z).tolist() == [0, 0, 0, 1, 1]  # 0 at z == 0 by convention
    assert act.relu_grad(0) == 0.0


@pytest.mark.parametrize("f", [act.sigmoid, act.sigmoid_grad, act.relu, act.relu_grad])
def test_elementwise_functions_keep_any_shape_and_return_float64(f):
    for z in (0.5, np.float64(-1), np.zeros((2, 0, 3)), np.arange(6).reshape(2, 3), [[-1, 2]]):
        out = f(z)
        assert np.shape(out) == np.shape(z)
        assert np.asarray(out).dtype == np.float64
    assert isinstance(f(1), float)  # a 0-d input gives a (numpy float64) scalar


def data_batches(n_max=6):
    return st.integers(1, n_max).flatmap(lambda n: st.tuples(arrays(n, -3, 3), arrays(n, -2, 2)))


@given(floats(-3, 3), floats(-3, 3), floats(0.01, 2), data_batches())
def test_train_bend_step_is_one_step_down_the_numerical_gradient(w, b, lr, xy):
    x, y = xy

    def loss(w, b):
        return np.mean((expit(w * x + b) - y) ** 2)

    expected = np.array([w, b]) - lr * numerical_gradient(loss, (w, b))
    assert np.allclose(act.train_bend_step(w, b, x, y, lr=lr), expected, rtol=1e-6, atol=1e-8)


def test_train_bend_step_default_lr_is_1_5():
    assert act.train_bend_step(0.3, -0.2, X, Y) == pytest.approx(act.train_bend_step(0.3, -0.2, X, Y, lr=1.5))
    assert act.train_bend_step(0.3, -0.2, X, Y) != pytest.approx(act.train_bend_step(0.3, -0.2, X, Y, lr=1.0))


def relu_(z):
    return np.maximum(z, 0)


GOLD = {"sigmoid": expit, "relu": relu_}  # the activations, written independently of the code under test


@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
@given(params=st.tuples(*[floats(-3, 3)] * 4), lr=floats(0.01, 1), xy=data_batches())
def test_train_stack_step_is_one_step_down_the_numerical_gradient(activation, params, lr, xy):
    x, y = xy
    f = GOLD[activation]
    w1, b1, w2, b2 = params
    if activation == "relu":  # the ReLU has no derivative at its kink: keep every z away from 0
        assume(np.all(np.abs(w1 * x + b1) > 1e-3) and np.all(np.abs(w2 * x + b2) > 1e-3))

    def loss(w1, b1, w2, b2):
        return np.mean((f(w1 * x + b1) - f(w2 * x + b2) - y) ** 2)

    expected = np.array(params) - lr * numerical_gradient(loss, params)
    step = act.train_stack_step(*params, x, y, lr, activation=activation)
    assert len(step) == 4
    assert np.allclose(step, expected, rtol=1e-6, atol=1e-7)


def test_train_stack_step_default_activation_is_sigmoid():
    params = (1.0, -1.5, 1.0, -3.5)
    assert act.train_stack_step(*params, X, Y, 0.5) == act.train_stack_step(*params, X, Y, 0.5, activation="sigmoid")


def test_relu_bump_fits_the_four_points():
    """relu(x - 1) - relu(2x - 5) passes through (1,0), (2,1), (3,1), (4,0) exactly: 0-0, 1-0, 2-1, 3-3.
    Gradient descent from a nearby start gets to a bump as good (loss ~0)."""
    params = (1.2, -1.1, 1.9, -5.2)
    for _ in range(3000):
        params = act.train_stack_step(*params, X, Y, 0.05, activation="relu")
    w1, b1, w2, b2 = params
    y_hat = relu_(w1 * X + b1) - relu_(w2 * X + b2)
    assert np.mean((y_hat - Y) ** 2) < 1e-8


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: act.sigmoid(np.array([0.0, np.nan])), "z"),
        (lambda: act.sigmoid_grad("zero"), "z"),
        (lambda: act.relu(np.nan), "z"),
        (lambda: act.relu_grad([1.0, np.nan]), "z"),
        (lambda: act.train_bend_step(0.0, 0.0, X, Y[:2]), "x"),
        (lambda: act.train_bend_step(np.nan, 0.0, X, Y), "w"),
        (lambda: act.train_bend_step(0.0, 0.0, X, Y, lr=0), "lr"),
        (lambda: act.train_stack_step(1.0, 0.0, 1.0, 0.0, X, Y, 0.1, activation="tanh"), "activation"),
        (lambda: act.train_stack_step(1.0, 0.0, 1.0, 0.0, X, Y, -0.1), "lr"),
        (lambda: act.train_stack_step(1.0, 0.0, None, 0.0, X, Y, 0.1), "w2"),
        (lambda: act.train_stack_step(1.0, 0.0, 1.0, np.inf, X, Y, 0.1), "b2"),
        (lambda: act.train_stack_step(1.0, 0.0, 1.0, 0.0, X, [np.nan] * 4, 0.1), "y"),
    ],
)
def test_invalid_arguments_name_the_argument(call, name):
    with raises_naming(name):
        call()


def test_unknown_activation_message_lists_the_options():
    with pytest.raises(ValueError, match=r"activation must be one of 'sigmoid', 'relu'; got 'tanh'"):
        act.train_stack_step(1.0, 0.0, 1.0, 0.0, X, Y, 0.1, activation="tanh")
