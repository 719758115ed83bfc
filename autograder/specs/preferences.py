"""Hidden tests of rung 10 (10_preferences): bradley_terry, reward_model_loss, reward_model_grad,
fit_reward_model, dpo_loss and implicit_reward.

Each compare checks the student's result against the reference first; on a mismatch it recomputes the likely
mistakes on the same inputs (chosen and rejected swapped, a sum for the mean, the unstable log(sigmoid), the
gradient without its minus, β inside or outside the bracket) and, when the student's result is one of them, says
which, in the notebook's words.
"""

import numpy as np

from autograder.spec import Case, Mistake, Spec, arguments, compare_default, naming_mistakes, quietly, same_result, slug
from reference import preferences as pref

ENDINGS = 6  # the six endings of "the best database is ___": one-hot features


def _sig(m):
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-m))


def _naive_nll(m):
    """−mean log(σ(m)) the direct way: σ(m) rounds to 0 for m below about −37, and log 0 = −inf."""
    with np.errstate(over="ignore", divide="ignore"):
        return float(np.mean(-np.log(1 / (1 + np.exp(-m)))))


# ---- drawing inputs ----


def _one_hot_pairs(rng, n):
    """n rater choices among the six endings: row i one-hot at the chosen ending, the rejected one elsewhere."""
    chosen = rng.integers(0, ENDINGS, size=n)
    rejected = (chosen + rng.integers(1, ENDINGS, size=n)) % ENDINGS
    eye = np.eye(ENDINGS)
    return eye[chosen], eye[rejected]


def _feature_pairs(rng, n, d):
    return np.round(rng.normal(size=(n, d)), 2), np.round(rng.normal(size=(n, d)), 2)


def _w(rng, d, scale=1.0):
    return np.round(rng.normal(0.0, scale, size=d), 2)


def _beta(rng, lo=0.05, hi=2.0):
    return float(np.round(np.exp(rng.uniform(np.log(lo), np.log(hi))), 3))


def _logps(rng, n, spread=2.0):
    return np.round(-np.abs(rng.normal(0.0, spread, size=n)) - 0.1, 3)


# ---- naming a mistake ----


def _blows_up(got):
    """True when got is (or holds) inf or nan: the mark of log(sigmoid(m)) at a large negative margin."""
    try:
        arr = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return False
    return bool(arr.size) and not np.isfinite(arr).all()


UNSTABLE = Mistake(
    "unstable log sigmoid overflows",
    "inf or nan at a large margin: log(sigmoid(m)) rounds sigmoid(m) to 0 (or exp(-m) overflows) once |m| is in the "
    "hundreds; write -log(sigmoid(m)) as np.logaddexp(0, -m)",
)


def compare_bradley_terry(expected, got, case):
    reason = compare_default(expected, got, case)
    if reason is None:
        return None
    r_a, r_b = (np.asarray(v, dtype=float) for v in arguments(case, "r_a", "r_b"))
    if _blows_up(got) and np.isfinite(expected).all():
        return Mistake("bradley terry overflow", "nan or inf at a large difference: exp(-(r_a - r_b)) "
                       "overflows; use exp(-|m|) with the two forms of the sigmoid, as rung 2's stable sigmoid")
    mistakes = [
        ("that is σ(r_b − r_a), the probability that b wins: P(a preferred to b) = σ(r_a − r_b)",
         lambda: _sig(r_b - r_a)),
        ("that is r_a / (r_a + r_b): Bradley–Terry on scores is σ(r_a − r_b), exp(r_a) / (exp(r_a) + exp(r_b))",
         lambda: r_a / (r_a + r_b)),
        ("that is σ(r_a) · (1 − σ(r_b)): the sigmoid of the difference, not a product of two sigmoids",
         lambda: _sig(r_a) * (1 - _sig(r_b))),
        ("that is σ(r_a + r_b): it is the difference of the rewards that counts", lambda: _sig(r_a + r_b)),
    ]
    for why, wrong in mistakes:
        if same_result(quietly(wrong), got):
            return Mistake(slug(why), why)
    return reason


def _loss_mistakes(margin_of, beta_note=""):
    """The mistakes a −mean log σ(margin) loss invites, for a margin computed from the case."""

    def mistakes(case):
        m = margin_of(case)
        return [
            ("that is the loss with chosen and rejected swapped: the margin is r_chosen − r_rejected" + beta_note,
             lambda: _naive_nll(-m)),
            ("that is the sum over the pairs: take the mean (divide by the number of pairs)",
             lambda: _naive_nll(m) * m.size),
            ("that is +mean log σ(margin): the loss is its negative, −mean log σ(margin), which is >= 0",
             lambda: -_naive_nll(m)),
            ("that is −mean σ(margin): take the log of the sigmoid", lambda: float(-np.mean(_sig(m)))),
            ("that is −mean(margin), the loss without the log σ around the margin", lambda: float(-np.mean(m))),
        ]

    return mistakes


def _with_stability(mistakes):
    base = naming_mistakes(mistakes)

    def compare(expected, got, case):
        reason = base(expected, got, case)
        if reason is not None and _blows_up(got) and np.isfinite(expected):
            return UNSTABLE
        return reason

    return compare


def _rm_margin(case):
    w, Xc, Xr = (np.asarray(v, dtype=float) for v in arguments(case, "w", "X_chosen", "X_rejected"))
    return (Xc - Xr) @ w


def _rm_grad_mistakes(case):
    w, Xc, Xr = (np.asarray(v, dtype=float) for v in arguments(case, "w", "X_chosen", "X_rejected"))
    D = Xc - Xr
    m = D @ w
    n = D.shape[0]
    return [
        ("the gradient has the wrong sign: dL/dw = −mean σ(−m) (x_chosen − x_rejected), with the minus",
         lambda: (_sig(-m) @ D) / n),
        ("that uses σ(m) where σ(−m) belongs: d/dm [−log σ(m)] = −(1 − σ(m)) = −σ(−m)",
         lambda: -(_sig(m) @ D) / n),
        ("that is the sum over the pairs: divide by the number of pairs (the loss is a mean)",
         lambda: -(_sig(-m) @ D)),
        ("that is −mean (x_chosen − x_rejected), without the weight σ(−m) of each pair", lambda: -D.mean(axis=0)),
        ("that is the gradient with chosen and rejected swapped", lambda: (_sig(m) @ D) / n),
    ]


def _fit_mistakes(case):
    Xc, Xr, steps, lr = arguments(case, "X_chosen", "X_rejected", "steps", "lr")
    Xc, Xr = np.asarray(Xc, dtype=float), np.asarray(Xr, dtype=float)

    def descend(sign=-1.0, n=steps, rate=lr, grad=pref.reward_model_grad, start=0.0):
        w = np.full(Xc.shape[1], start)
        for _ in range(n):
            w = w + sign * rate * grad(w, Xc, Xr)
        return w

    return [
        ("that climbs the loss: each step is w <- w − lr · grad (minus), from w = 0", lambda: descend(sign=1.0)),
        ("that takes one step too many: exactly `steps` updates from w = 0", lambda: descend(n=steps + 1)),
        ("that takes one step too few: exactly `steps` updates from w = 0", lambda: descend(n=max(steps - 1, 0))),
        ("that ignores lr: each step is w <- w − lr · grad", lambda: descend(rate=1.0)),
        ("that starts from w = 1: gradient descent here starts from w = np.zeros(d)", lambda: descend(start=1.0)),
        ("that steps along the summed gradient: the loss is a mean, so divide the gradient by the number of pairs",
         lambda: descend(rate=lr * Xc.shape[0])),
        ("that is the fit with chosen and rejected swapped", lambda: descend(grad=lambda w, a, b: pref.reward_model_grad(w, b, a))),
    ]


def _dpo_margin(case):
    lc, lr_, rc, rr, beta = (np.asarray(v, dtype=float) for v in arguments(
        case, "logp_chosen", "logp_rejected", "ref_logp_chosen", "ref_logp_rejected", "beta"))
    return beta * ((lc - rc) - (lr_ - rr))


def _dpo_extra(case):
    lc, lr_, rc, rr, beta = (np.asarray(v, dtype=float) for v in arguments(
        case, "logp_chosen", "logp_rejected", "ref_logp_chosen", "ref_logp_rejected", "beta"))
    return [
        ("β multiplies only the policy's terms: it multiplies the whole bracket, β[(logp_c − ref_c) − (logp_r − ref_r)]",
         lambda: _naive_nll(beta * (lc - lr_) - (rc - rr))),
        ("β sits outside the log σ: it belongs inside, −mean log σ(β · bracket)",
         lambda: float(beta * _naive_nll((lc - rc) - (lr_ - rr)))),
        ("that divides by β: the bracket is multiplied by β", lambda: _naive_nll(((lc - rc) - (lr_ - rr)) / beta)),
        ("the reference terms are swapped in: it is (logp − ref_logp), the policy minus the reference",
         lambda: _naive_nll(beta * ((rc - lc) - (rr - lr_)))),
        ("the reference terms are paired with the wrong answers: ref_chosen goes with logp_chosen",
         lambda: _naive_nll(beta * ((lc - rr) - (lr_ - rc)))),
    ]


def _dpo_mistakes(case):
    return _dpo_extra(case) + _loss_mistakes(_dpo_margin)(case)


def _implicit_mistakes(case):
    logp, ref, beta = (np.asarray(v, dtype=float) for v in arguments(case, "logp", "ref_logp", "beta"))
    with np.errstate(invalid="ignore"):
        return [
            ("the difference is the wrong way round: β (logp − ref_logp), the policy minus the reference",
             lambda: beta * (ref - logp)),
            ("that divides by β: the implicit reward is β (logp − ref_logp)", lambda: (logp - ref) / beta),
            ("β is missing: the implicit reward is β (logp − ref_logp)", lambda: logp - ref),
            ("that is β · logp / ref_logp: a difference of log-probabilities (a log of a ratio), not a ratio",
             lambda: beta * logp / ref),
            ("nan or ±inf was replaced by a number: where both log-probabilities are −inf the reward is nan, and "
             "where only one is, it is ±inf; return β (logp − ref_logp) as it comes", lambda: np.nan_to_num(beta * (logp - ref))),
        ]


# ---- the cases: small readable ones first, then drawn ones ----


def bradley_terry_cases(rng):
    return [
        Case((1.0, 0.0)),
        Case((0.0, 0.0)),
        Case((np.array([2.0, -1.0, 0.5]), np.array([1.0, 1.0, 0.5]))),
        Case((3, -1)),  # integers: the course's +3 and −1
        Case((np.array([800.0, -800.0]), np.array([-800.0, 800.0]))),  # exp(1600) overflows
        Case((np.array([[1.0], [2.0]]), np.array([0.0, 1.0, 2.0]))),  # broadcasting (2, 1) against (3,)
        Case((float(rng.normal(0, 30)), float(rng.normal(0, 30)))),
        *(Case((_w(rng, n, 3.0), _w(rng, n, 3.0))) for n in rng.integers(1, 8, size=4)),
    ]


def _loss_cases(rng):
    eye = np.eye(2)
    Xc, Xr = _one_hot_pairs(rng, 8)
    return [
        Case((np.array([1.0, 0.0]), eye[:1], eye[1:])),  # one comparison, margin 1: every mistake shows apart
        Case((np.array([1.0, 0.0]), eye, eye[::-1])),
        Case((np.zeros(3), np.eye(3), np.eye(3)[[1, 2, 0]])),  # w = 0: every margin 0, loss log 2
        Case((np.array([3.0, 0.0, 0.0, 0.0, 0.0, -1.0]), np.eye(6)[[0, 1]], np.eye(6)[[5, 0]])),
        Case((np.array([600.0, -600.0]), eye, eye[::-1])),  # margins ±1200: σ(−1200) underflows to 0
        Case((np.array([500.0]), np.array([[1.0], [0.0]]), np.array([[0.0], [1.0]]))),  # σ(−500) = e^−500
        Case((_w(rng, ENDINGS), Xc, Xr)),
        *(Case((_w(rng, int(d)), *_feature_pairs(rng, int(n), int(d))))
          for n, d in zip(rng.integers(1, 9, size=4), rng.integers(1, 5, size=4))),
    ]


def fit_reward_model_cases(rng):
    Xc, Xr = _one_hot_pairs(rng, 10)
    return [
        Case((np.eye(2)[[0]], np.eye(2)[[1]], 1, 0.5)),  # one step from 0: w = lr · (x_c − x_r) / 2
        Case((np.eye(3)[[0, 1]], np.eye(3)[[1, 2]], 3, 1.0)),
        Case((np.eye(2)[[0, 0, 1]], np.eye(2)[[1, 1, 0]], 0, 0.1)),  # no steps: w = 0
        Case((Xc, Xr, 40, 0.5)),
        *(Case((*_feature_pairs(rng, int(n), 3), int(s), 0.2))
          for n, s in zip(rng.integers(2, 9, size=3), rng.integers(2, 30, size=3))),
    ]


def dpo_loss_cases(rng):
    def drawn(n, beta):
        return Case((_logps(rng, n), _logps(rng, n), _logps(rng, n), _logps(rng, n), beta))

    a = np.array
    return [
        Case((a([-1.0]), a([-2.0]), a([-1.5]), a([-1.5]), 1.0)),
        Case((a([-1.0]), a([-2.0]), a([-1.5]), a([-1.5]), 0.1)),
        Case((a([-1.0, -3.0]), a([-2.0, -0.5]), a([-1.2, -1.0]), a([-1.1, -2.0]), 0.5)),
        Case((a([-0.5, -0.5]), a([-0.5, -0.5]), a([-0.5, -0.5]), a([-0.5, -0.5]), 2.0)),  # policy = reference: log 2
        Case((a([-1.0]), a([-600.0]), a([-600.0]), a([-1.0]), 1.0)),  # margin 1198: σ(−1198) underflows to 0
        Case((a([-600.0]), a([-1.0]), a([-1.0]), a([-600.0]), 1.0)),  # margin −1198: exp(1198) overflows
        *(drawn(int(n), _beta(rng)) for n in rng.integers(1, 8, size=5)),
    ]


def implicit_reward_cases(rng):
    n = int(rng.integers(2, 8))
    return [
        Case((-1.0, -2.0, 0.5)),
        Case((np.array([-0.1, -2.3, -1.2]), np.array([-0.5, -0.7, -1.2]), 1.0)),
        Case((np.array([-0.1, -2.3, -1.2]), np.array([-0.5, -0.7, -1.2]), 0.25)),
        Case((np.array([-0.5, -np.inf]), np.array([-1.0, -np.inf]), 2.0)),  # an unseen ending: undefined, nan
        Case((np.array([-np.inf, -1.0]), np.array([-1.0, -1.0]), 1.0)),  # a policy that dropped an answer: −inf
        Case((np.array([[-1.0, -2.0], [-3.0, -4.0]]), np.array([[-2.0, -2.0], [-2.0, -2.0]]), 0.5)),
        *(Case((_logps(rng, n), _logps(rng, n), _beta(rng))) for _ in range(4)),
    ]


SPECS = [
    Spec("bradley_terry", pref.bradley_terry, bradley_terry_cases, compare=compare_bradley_terry,
         hint="σ(r_a − r_b), elementwise and broadcasting, computed like rung 2's stable sigmoid (no overflow at ±1000)"),
    Spec("reward_model_loss", pref.reward_model_loss, _loss_cases,
         compare=_with_stability(_loss_mistakes(_rm_margin)),
         hint="m = (X_chosen − X_rejected) @ w; return float(np.mean(np.logaddexp(0, −m))), i.e. −mean log σ(m)"),
    Spec("reward_model_grad", pref.reward_model_grad, _loss_cases, compare=naming_mistakes(_rm_grad_mistakes),
         hint="D = X_chosen − X_rejected, m = D @ w; dL/dw = −(σ(−m) @ D) / N, shape (d,)"),
    Spec("fit_reward_model", pref.fit_reward_model, fit_reward_model_cases, compare=naming_mistakes(_fit_mistakes),
         hint="w = np.zeros(d), then `steps` times w = w − lr · reward_model_grad(w, X_chosen, X_rejected)"),
    Spec("dpo_loss", pref.dpo_loss, dpo_loss_cases, compare=_with_stability(_dpo_mistakes),
         hint="m = β · ((logp_c − ref_c) − (logp_r − ref_r)); return float(np.mean(np.logaddexp(0, −m)))"),
    Spec("implicit_reward", pref.implicit_reward, implicit_reward_cases, compare=naming_mistakes(_implicit_mistakes),
         hint="β · (logp − ref_logp), elementwise; −inf − (−inf) is nan and that is the right answer there"),
]
