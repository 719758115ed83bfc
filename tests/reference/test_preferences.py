"""reference.preferences: Bradley–Terry, the reward model and DPO, checked by hand, against plain loops and scipy's
expit, their gradients against central differences, stable at margins far outside exp's range, and the identity
that ties the rung to rung 7: the implicit reward of the KL-regularized policy is the reward minus a constant."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.special import expit

from numcheck import arrays, floats, prob_vectors, raises_naming, rel_error
from reference import preferences as pref
from reference.rlhf import kl_regularized_policy

pytestmark = pytest.mark.filterwarnings("error")  # no overflow or log-0 warning at any margin

E = np.eye(2)


def plain_nll(margins):
    """−mean log σ(m), one comparison at a time with math: log(1 + e^(−m)) for moderate margins."""
    return sum(math.log1p(math.exp(-m)) for m in margins) / len(margins)


def central_differences(f, x, h=1e-6):
    """∂f/∂x_i by (f(x + h e_i) − f(x − h e_i)) / 2h, for a 1-D float array x."""
    grad = np.zeros_like(x)
    for i in range(x.size):
        up, down = x.copy(), x.copy()
        up[i] += h
        down[i] -= h
        grad[i] = (f(up) - f(down)) / (2 * h)
    return grad


def pair_data(n, d):
    """(w, X_chosen, X_rejected) strategies: n comparisons of d features, weights and features bounded."""
    return st.tuples(arrays(d, -3, 3), arrays((n, d), -2, 2), arrays((n, d), -2, 2))


pair_cases = st.tuples(st.integers(1, 6), st.integers(1, 4)).flatmap(lambda nd: pair_data(*nd))

# ---- Bradley–Terry ----


def test_bradley_terry_by_hand():
    assert pref.bradley_terry(0.0, 0.0) == 0.5
    assert pref.bradley_terry(3.0, -1.0) == pytest.approx(1 / (1 + math.exp(-4)))  # rung 7's +3 against −1
    assert pref.bradley_terry(math.log(3), 0.0) == pytest.approx(0.75)  # e^r_a / (e^r_a + e^r_b) = 3 / 4


def test_bradley_terry_is_elementwise_and_broadcasts():
    p = pref.bradley_terry(np.array([[0.0], [1.0]]), np.array([0.0, 1.0, 2.0]))
    assert p.shape == (2, 3)
    assert p[1, 1] == 0.5 and p[0, 0] == 0.5
    assert isinstance(pref.bradley_terry(1, 2), float)


@given(floats(-1e4, 1e4), floats(-1e4, 1e4))
def test_bradley_terry_is_expit_of_the_difference_and_symmetric(r_a, r_b):
    p = pref.bradley_terry(r_a, r_b)
    assert p == pytest.approx(expit(r_a - r_b), rel=1e-12, abs=1e-300)
    assert p + pref.bradley_terry(r_b, r_a) == pytest.approx(1.0)
    assert pref.bradley_terry(r_a + 7.5, r_b + 7.5) == pytest.approx(p, rel=1e-9, abs=1e-300)  # only r_a − r_b counts


def test_bradley_terry_is_stable_at_huge_differences():
    assert pref.bradley_terry(1000.0, -1000.0) == 1.0
    assert pref.bradley_terry(-1000.0, 1000.0) == 0.0
    assert pref.bradley_terry(-740.0, 0.0) > 0  # e^−740, subnormal, not rounded to 0 by 1 − (1 − tiny)


def test_bradley_terry_passes_nan_through_as_elementwise_functions_do():
    p = pref.bradley_terry(np.array([np.nan, 0.0]), 0.0)
    assert np.isnan(p[0]) and p[1] == 0.5


@given(floats(-30, 30), floats(-30, 30))
def test_bradley_terry_derivative_is_p_times_one_minus_p(r_a, r_b):
    p = pref.bradley_terry(r_a, r_b)
    h = 1e-6
    fd = (pref.bradley_terry(r_a + h, r_b) - pref.bradley_terry(r_a - h, r_b)) / (2 * h)
    assert fd == pytest.approx(p * (1 - p), rel=1e-5, abs=1e-9)


# ---- the reward model ----


def test_reward_model_loss_by_hand():
    assert pref.reward_model_loss(np.zeros(2), E, E[::-1]) == pytest.approx(math.log(2))  # every margin 0
    # margins +1 and −1
    expected = (math.log1p(math.exp(-1)) + math.log1p(math.exp(1))) / 2
    assert pref.reward_model_loss(np.array([1.0, 0.0]), E, E[::-1]) == pytest.approx(expected)
    assert isinstance(pref.reward_model_loss(np.zeros(2), E, E), float)


@given(pair_cases)
def test_reward_model_loss_is_the_plain_loop_mean(case):
    w, X_c, X_r = case
    margins = [float(np.dot(c, w) - np.dot(r, w)) for c, r in zip(X_c, X_r)]
    assert pref.reward_model_loss(w, X_c, X_r) == pytest.approx(plain_nll(margins), rel=1e-10)


def test_reward_model_loss_is_stable_at_huge_margins():
    w = np.array([5000.0, -5000.0])  # margins +10000 and −10000
    assert pref.reward_model_loss(w, E, E[::-1]) == pytest.approx(5000.0)
    assert pref.reward_model_loss(w, E[:1], E[1:]) == 0.0


def test_reward_model_grad_by_hand():
    g = pref.reward_model_grad(np.zeros(2), E[:1], E[1:])  # one comparison, m = 0: −σ(0) (e_0 − e_1)
    assert g.tolist() == [-0.5, 0.5]
    g = pref.reward_model_grad(np.zeros(3), np.eye(3)[[0, 0]], np.eye(3)[[1, 2]])
    assert g.tolist() == [-0.5, 0.25, 0.25]


@given(pair_cases)
def test_reward_model_grad_matches_central_differences(case):
    w, X_c, X_r = case
    numeric = central_differences(lambda v: pref.reward_model_loss(v, X_c, X_r), w)
    analytic = pref.reward_model_grad(w, X_c, X_r)
    assert analytic.shape == w.shape
    assert np.allclose(analytic, numeric, atol=1e-6) or rel_error(analytic, numeric) < 1e-5


def test_reward_model_grad_is_stable_and_vanishes_for_explained_pairs():
    g = pref.reward_model_grad(np.array([5000.0, -5000.0]), E[:1], E[1:])
    assert np.array_equal(g, [0.0, 0.0])  # σ(−10000) = 0: nothing left to learn
    g = pref.reward_model_grad(np.array([-5000.0, 5000.0]), E[:1], E[1:])
    assert g.tolist() == [-1.0, 1.0]  # badly wrong: full strength


def test_fit_reward_model_by_hand():
    assert pref.fit_reward_model(E[:1], E[1:], 0, 0.5).tolist() == [0.0, 0.0]
    assert pref.fit_reward_model(E[:1], E[1:], 1, 0.5).tolist() == [0.25, -0.25]  # 0 − 0.5 · [−0.5, 0.5]
    # a second step from [0.25, −0.25]: m = 0.5, w += 0.5 · σ(−0.5) · [1, −1] / 1
    step = 0.5 * (1 / (1 + math.exp(0.5)))
    assert pref.fit_reward_model(E[:1], E[1:], 2, 0.5) == pytest.approx([0.25 + step, -0.25 - step])


def test_fit_reward_model_recovers_the_order_of_consistent_raters():
    """Three endings, the raters always prefer 0 over 1 over 2, twice as often as the other way round."""
    eye = np.eye(3)
    chosen = eye[[0, 0, 1, 1, 0, 0, 1, 2]]
    rejected = eye[[1, 1, 2, 2, 2, 2, 0, 1]]
    w = pref.fit_reward_model(chosen, rejected, 500, 1.0)
    assert w[0] > w[1] > w[2]
    assert np.allclose(pref.reward_model_grad(w, chosen, rejected), 0, atol=1e-4)  # a minimum of the loss
    losses = [pref.reward_model_loss(pref.fit_reward_model(chosen, rejected, s, 1.0), chosen, rejected)
              for s in (0, 5, 50, 500)]
    assert losses[0] == pytest.approx(math.log(2)) and losses == sorted(losses, reverse=True)


# ---- DPO ----


def test_dpo_loss_by_hand():
    a = np.array
    # bracket (−1 + 1.5) − (−2 + 1.5) = 1
    assert pref.dpo_loss(a([-1.0]), a([-2.0]), a([-1.5]), a([-1.5]), 1.0) == pytest.approx(math.log1p(math.exp(-1)))
    assert pref.dpo_loss(a([-1.0]), a([-2.0]), a([-1.5]), a([-1.5]), 0.1) == pytest.approx(math.log1p(math.exp(-0.1)))
    same = a([-0.3, -2.0])
    assert pref.dpo_loss(same, same, same, same, 3.0) == pytest.approx(math.log(2))


logp_cases = st.integers(1, 6).flatmap(lambda n: st.tuples(*(arrays(n, -20, 0) for _ in range(4)), floats(0.01, 5)))


@given(logp_cases)
def test_dpo_loss_is_the_plain_loop_mean(case):
    *logps, beta = case
    margins = [beta * ((lc - rc) - (lr - rr)) for lc, lr, rc, rr in zip(*logps)]
    assert pref.dpo_loss(*logps, beta) == pytest.approx(plain_nll(margins), rel=1e-10)


@given(logp_cases)
def test_dpo_gradient_matches_central_differences(case):
    """∂L/∂logp_chosen,i = −β σ(−m_i) / N and ∂L/∂logp_rejected,i = +β σ(−m_i) / N, checked numerically."""
    lc, lr, rc, rr, beta = case
    n = lc.size
    m = beta * ((lc - rc) - (lr - rr))
    s = 1 / (1 + np.exp(np.clip(m, -700, 700)))  # σ(−m)
    d_chosen = central_differences(lambda v: pref.dpo_loss(v, lr, rc, rr, beta), lc.copy())
    d_rejected = central_differences(lambda v: pref.dpo_loss(lc, v, rc, rr, beta), lr.copy())
    assert np.allclose(d_chosen, -beta * s / n, atol=1e-6)
    assert np.allclose(d_rejected, beta * s / n, atol=1e-6)


def test_dpo_loss_is_the_reward_model_loss_of_the_implicit_reward():
    """DPO = Bradley–Terry on β (log π − log π_ref): −mean log bradley_terry(r̂_chosen, r̂_rejected)."""
    rng = np.random.default_rng(4)
    lc, lr, rc, rr = (-rng.random(5) * 4 for _ in range(4))
    beta = 0.7
    r_c, r_r = pref.implicit_reward(lc, rc, beta), pref.implicit_reward(lr, rr, beta)
    assert pref.dpo_loss(lc, lr, rc, rr, beta) == pytest.approx(-np.mean(np.log(pref.bradley_terry(r_c, r_r))))


def test_dpo_loss_is_stable_at_huge_margins():
    a = np.array
    assert pref.dpo_loss(a([-600.0]), a([-1.0]), a([-1.0]), a([-600.0]), 1.0) == pytest.approx(1198.0)
    assert pref.dpo_loss(a([-1.0]), a([-600.0]), a([-600.0]), a([-1.0]), 1.0) == 0.0
    assert pref.dpo_loss(a([-1.0]), a([-2.0]), a([-2.0]), a([-1.0]), 1e4) == 0.0  # β · 2 = 20000


def test_implicit_reward_by_hand():
    assert pref.implicit_reward(-1.0, -2.0, 0.5) == 0.5
    r = pref.implicit_reward(np.array([[-1.0, -3.0]]), np.array([[-2.0, -1.0]]), 2.0)
    assert r.tolist() == [[2.0, -4.0]]
    r = pref.implicit_reward(np.array([-np.inf, -1.0, -np.inf]), np.array([-1.0, -np.inf, -np.inf]), 1.0)
    assert r[0] == -np.inf and r[1] == np.inf and np.isnan(r[2])  # the last: no answer either policy gives


def test_implicit_reward_passes_nan_through_as_elementwise_functions_do():
    r = pref.implicit_reward(np.array([np.nan, -1.0]), np.array([-1.0, -3.0]), 0.5)
    assert np.isnan(r[0]) and r[1] == 1.0


@given(prob_vectors(min_size=2).flatmap(lambda p: st.tuples(st.just(p), arrays(p.size, -5, 5), floats(0.05, 20))))
def test_implicit_reward_of_the_kl_policy_is_the_reward_minus_a_constant(args):
    """For π = kl_regularized_policy(π_ref, R, β) of rung 7, β (log π − log π_ref) = R − β log Z where π_ref > 0."""
    pi_ref, reward, beta = args
    pi = kl_regularized_policy(pi_ref, reward, beta)
    with np.errstate(divide="ignore"):
        r_hat = pref.implicit_reward(np.log(pi), np.log(pi_ref), beta)
    seen = pi_ref > 0
    log_z = math.log(sum(p * math.exp(r / beta) for p, r in zip(pi_ref, reward) if p > 0))  # Z by a plain loop
    assert np.allclose(r_hat[seen], reward[seen] - beta * log_z, atol=1e-8)
    assert (pi[~seen] == 0).all() and np.isnan(r_hat[~seen]).all()  # never seen: probability 0, no reward to read


# ---- every ValueError ----


@pytest.mark.parametrize("call, name", [
    (lambda: pref.bradley_terry("a", 1.0), "r_a"),
    (lambda: pref.bradley_terry(1.0, np.array(["x"])), "r_b"),
    (lambda: pref.bradley_terry(np.zeros(2), np.zeros(3)), "r_a"),
    (lambda: pref.reward_model_loss(np.zeros((2, 1)), E, E), "w"),
    (lambda: pref.reward_model_loss(np.zeros(0), E, E), "w"),
    (lambda: pref.reward_model_loss(np.array([np.nan, 0.0]), E, E), "w"),
    (lambda: pref.reward_model_loss(np.zeros(2), np.zeros(2), E), "X_chosen"),
    (lambda: pref.reward_model_loss(np.zeros(2), np.zeros((0, 2)), np.zeros((0, 2))), "X_chosen"),
    (lambda: pref.reward_model_loss(np.zeros(2), E, np.array([[np.nan, 0.0], [0.0, 1.0]])), "X_rejected"),
    (lambda: pref.reward_model_loss(np.zeros(2), E, np.eye(3)[:2]), "X_rejected"),
    (lambda: pref.reward_model_loss(np.zeros(3), E, E), "w"),
    (lambda: pref.reward_model_loss(np.zeros(2), E, np.array([[np.inf, 0.0], [0.0, 1.0]])), "X_rejected"),
    (lambda: pref.reward_model_grad(np.zeros(2), E, E[:1]), "X_rejected"),
    (lambda: pref.reward_model_grad(np.array([0.0, np.nan]), E, E), "w"),
    (lambda: pref.reward_model_grad(np.zeros(2), np.array([[np.nan, 0.0], [0.0, 1.0]]), E), "X_chosen"),
    (lambda: pref.fit_reward_model(E, E, -1, 0.1), "steps"),
    (lambda: pref.fit_reward_model(E, E, 2.5, 0.1), "steps"),
    (lambda: pref.fit_reward_model(E, E, 3, 0.0), "lr"),
    (lambda: pref.fit_reward_model(E, E, 3, np.nan), "lr"),
    (lambda: pref.fit_reward_model(np.zeros(2), E, 3, 0.1), "X_chosen"),
    (lambda: pref.fit_reward_model(E, np.eye(3), 3, 0.1), "X_rejected"),
    (lambda: pref.fit_reward_model(E, np.array([[np.nan, 0.0], [0.0, 1.0]]), 3, 0.1), "X_rejected"),
    (lambda: pref.dpo_loss([-1.0, np.nan], [-1.0, -1.0], [-1.0, -1.0], [-1.0, -1.0], 1.0), "logp_chosen"),
    (lambda: pref.dpo_loss([-1.0], [np.nan], [-1.0], [-1.0], 1.0), "logp_rejected"),
    (lambda: pref.dpo_loss([-1.0], [-1.0], [np.nan], [-1.0], 1.0), "ref_logp_chosen"),
    (lambda: pref.dpo_loss([-1.0], [-1.0], [-1.0], [np.nan], 1.0), "ref_logp_rejected"),
    (lambda: pref.dpo_loss([-1.0], [-1.0, -2.0], [-1.0], [-1.0], 1.0), "logp_rejected"),
    (lambda: pref.dpo_loss([-1.0], [-1.0], [-1.0], [-1.0, -2.0], 1.0), "ref_logp_rejected"),
    (lambda: pref.dpo_loss([[-1.0]], [[-1.0]], [[-1.0]], [[-1.0]], 1.0), "logp_chosen"),
    (lambda: pref.dpo_loss([], [], [], [], 1.0), "logp_chosen"),
    (lambda: pref.dpo_loss([-1.0], [-1.0], [-1.0], [-1.0], 0.0), "beta"),
    (lambda: pref.dpo_loss([-1.0], [-1.0], [-1.0], [-1.0], -0.5), "beta"),
    (lambda: pref.implicit_reward(np.array([np.inf]), np.array([-1.0]), 1.0), "logp"),
    (lambda: pref.implicit_reward(np.array(["a"]), np.array([-1.0]), 1.0), "logp"),
    (lambda: pref.implicit_reward(np.array([-1.0]), np.array([np.inf]), 1.0), "ref_logp"),
    (lambda: pref.implicit_reward(np.zeros(2), np.zeros(3), 1.0), "ref_logp"),
    (lambda: pref.implicit_reward(-1.0, -1.0, 0.0), "beta"),
    (lambda: pref.implicit_reward(-1.0, -1.0, "0.5"), "beta"),
])
def test_invalid_arguments_raise_naming_them(call, name):
    with raises_naming(name):
        call()
