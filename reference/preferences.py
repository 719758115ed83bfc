"""Rung 10: where the reward comes from. People compare two answers; a reward model learns from their choices.

Bradley–Terry: P(a preferred to b) = σ(r_a − r_b). A linear reward model r(x) = x @ w is fitted to pairs
(chosen, rejected) by minimizing −mean log σ(r_chosen − r_rejected). DPO skips the reward model: the policy's own
log-probabilities, measured against a reference policy, play the reward, β (log π − log π_ref). For the
KL-regularized policy of rung 7, π ∝ π_ref exp(R / β), that implicit reward is R minus a constant (β log Z).
"""

import numpy as np

from reference import _checks as check
from reference.activations import _sigmoid  # rung 2's stable sigmoid


def _log_sigmoid(m):
    """log σ(m) = −log(1 + e^(−m)), as −logaddexp(0, −m): no overflow at ±1000, no log 0 at −1000."""
    return -np.logaddexp(0.0, -m)


def _elementwise(x, name):
    """An elementwise input: real numbers of any shape, ±inf and NaN passed through, as float64."""
    raw = np.asarray(x)
    if raw.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold real numbers; got dtype {raw.dtype} ({check._describe(raw)})")
    return raw.astype(np.float64, copy=False)


def bradley_terry(r_a, r_b):
    """The Bradley–Terry probability that a is preferred to b: σ(r_a − r_b), without overflow.

    Parameters
    ----------
    r_a, r_b : float or ndarray, broadcastable against each other
        The rewards (scores) of the two answers.

    Returns
    -------
    p : float or ndarray of the broadcast shape, in [0, 1]
    """
    r_a, r_b = _elementwise(r_a, "r_a"), _elementwise(r_b, "r_b")
    try:
        shape = np.broadcast_shapes(r_a.shape, r_b.shape)
    except ValueError:
        raise ValueError(f"r_a and r_b must broadcast together; got shapes {r_a.shape} and {r_b.shape}") from None
    with np.errstate(invalid="ignore"):  # inf − inf is NaN: no margin, no probability
        return check.elementwise_result(np.broadcast_to(_sigmoid(r_a - r_b), shape).copy())


def _pairs(w, X_chosen, X_rejected):
    """w (d,), X_chosen and X_rejected (N, d), finite, N >= 1."""
    w = check.array(w, "w", ndim=1, nonempty=True)
    X_chosen = check.array(X_chosen, "X_chosen", ndim=2, nonempty=True)
    X_rejected = check.array(X_rejected, "X_rejected", ndim=2, nonempty=True)
    check.same_shape(X_chosen, X_rejected, "X_chosen", "X_rejected")
    if X_chosen.shape[1] != w.shape[0]:
        raise ValueError(f"w must have one weight per feature column of X_chosen ({X_chosen.shape[1]}); "
                         f"got {w.shape[0]}")
    return w, X_chosen, X_rejected


def reward_model_loss(w, X_chosen, X_rejected):
    """The reward model's loss L(w) = −mean log σ(x_chosen @ w − x_rejected @ w), stable at any margin.

    Parameters
    ----------
    w : ndarray of shape `(d,)`
        Weights of the linear reward r(x) = x @ w.
    X_chosen, X_rejected : ndarray of shape `(N, d)`
        Row i: the features of the answer the rater chose in pair i, and of the one they rejected.

    Returns
    -------
    loss : float >= 0
    """
    w, X_chosen, X_rejected = _pairs(w, X_chosen, X_rejected)
    margin = (X_chosen - X_rejected) @ w  # (N, d) @ (d,) -> (N,)
    return float(np.mean(-_log_sigmoid(margin)))


def reward_model_grad(w, X_chosen, X_rejected):
    """The gradient of reward_model_loss: dL/dw = −mean σ(−m_i) (x_chosen,i − x_rejected,i), m = margins.

    d/dm [−log σ(m)] = −(1 − σ(m)) = −σ(−m): a pair the model already ranks far apart pulls almost nothing.

    Returns
    -------
    dw : ndarray of shape `(d,)`
    """
    w, X_chosen, X_rejected = _pairs(w, X_chosen, X_rejected)
    D = X_chosen - X_rejected  # (N, d)
    margin = D @ w  # (N,)
    return -(_sigmoid(-margin) @ D) / D.shape[0]  # (N,) @ (N, d) -> (d,)


def fit_reward_model(X_chosen, X_rejected, steps, lr):
    """Fit the linear reward model by gradient descent from w = 0: `steps` times w <- w − lr · dL/dw.

    Parameters
    ----------
    X_chosen, X_rejected : ndarray of shape `(N, d)`
    steps : int >= 0
    lr : float > 0

    Returns
    -------
    w : ndarray of shape `(d,)`
    """
    X_chosen = check.array(X_chosen, "X_chosen", ndim=2, nonempty=True)
    steps = check.integer(steps, "steps")
    lr = check.positive(lr, "lr")
    w = np.zeros(X_chosen.shape[1])
    w, X_chosen, X_rejected = _pairs(w, X_chosen, X_rejected)
    for _ in range(steps):
        w = w - lr * reward_model_grad(w, X_chosen, X_rejected)
    return w


def dpo_loss(logp_chosen, logp_rejected, ref_logp_chosen, ref_logp_rejected, beta):
    """The DPO loss −mean log σ(β [(logp_c − ref_c) − (logp_r − ref_r)]), stable at any margin.

    Parameters
    ----------
    logp_chosen, logp_rejected : ndarray of shape `(N,)`
        The policy's log-probabilities of the chosen and the rejected answer of each pair.
    ref_logp_chosen, ref_logp_rejected : ndarray of shape `(N,)`
        The same under the reference policy.
    beta : float > 0
        β multiplies the whole bracket: the implicit rewards are β (logp − ref_logp).

    Returns
    -------
    loss : float >= 0
    """
    names = ("logp_chosen", "logp_rejected", "ref_logp_chosen", "ref_logp_rejected")
    values = (logp_chosen, logp_rejected, ref_logp_chosen, ref_logp_rejected)
    lc, lr_, rc, rr = (check.array(v, n, ndim=1, nonempty=True) for v, n in zip(values, names))
    for a, n in zip((lr_, rc, rr), names[1:]):
        check.same_shape(lc, a, "logp_chosen", n)
    beta = check.positive(beta, "beta")
    margin = beta * ((lc - rc) - (lr_ - rr))  # (N,)
    return float(np.mean(-_log_sigmoid(margin)))


def implicit_reward(logp, ref_logp, beta):
    """DPO's implicit reward β (logp − ref_logp), elementwise.

    Where both are −inf (an answer neither policy can produce) the reward is undefined: NaN. Elementwise, so a NaN
    entry passes through as NaN.

    Parameters
    ----------
    logp, ref_logp : float or ndarray of the same shape
        Finite or −inf.
    beta : float > 0

    Returns
    -------
    r : float or ndarray of the shape of `logp`
    """
    logp, ref_logp = _elementwise(logp, "logp"), _elementwise(ref_logp, "ref_logp")
    for x, name in ((logp, "logp"), (ref_logp, "ref_logp")):
        if np.isposinf(x).any():  # a log-probability is at most 0; −inf and NaN pass through, as elementwise
            raise ValueError(f"{name} must be a log-probability, finite or -inf; got +inf")
    check.same_shape(logp, ref_logp, "logp", "ref_logp")
    beta = check.positive(beta, "beta")
    with np.errstate(invalid="ignore"):  # −inf − (−inf): no reward to speak of
        return check.elementwise_result(beta * (logp - ref_logp))
