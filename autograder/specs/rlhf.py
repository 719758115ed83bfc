"""Hidden tests of rung 7 (07_rlhf): corpus_logits, preference_reward, rlhf_logits, kl_regularized_policy,
kl_divergence, and prob_after_rlhf (the exercise: an ending the corpus never saw stays at probability 0).

Each compare checks the student's result against the reference first; on a mismatch it recomputes the likely
mistakes on the same inputs and, when the student's result is one of them, says which, in the notebook's words.
"""

import numpy as np

from autograder.spec import Case, Mistake, Spec, arguments, compare_close, mistake, quietly, same_result, slug
from reference import rlhf
from reference.attention import softmax

COURSE_COUNTS = np.array([18, 7, 5, 3, 2, 0])  # the notebook's corpus: postgres ... redis, excel never
SQLITE, EXCEL = 1, 5


def prob_after_rlhf(counts, reward, beta, token):
    """The exercise's reference, built from reference.rlhf: softmax(rlhf_logits(corpus_logits(counts), R, β))[token]."""
    return float(softmax(rlhf.rlhf_logits(rlhf.corpus_logits(counts), reward, beta))[token])


# ---- drawing inputs ----


def _counts(rng, n=None, zeros=True):
    """Corpus counts: small integers, some of them 0 (endings never seen), never all 0."""
    n = int(rng.integers(2, 11)) if n is None else n
    counts = rng.integers(1, 30, size=n)
    if zeros:
        counts[rng.random(n) < 0.3] = 0
    if not counts.any():
        counts[rng.integers(n)] = int(rng.integers(1, 30))
    return counts


def _reward(rng, n, scale=2.0):
    return np.round(rng.normal(0.0, scale, size=n), 2)


def _beta(rng, lo=0.05, hi=10.0):
    return float(np.round(np.exp(rng.uniform(np.log(lo), np.log(hi))), 4))


def _probs(rng, n, zeros=True):
    """A probability vector, some entries exactly 0 when `zeros`."""
    counts = _counts(rng, n, zeros)
    return counts / counts.sum()


# ---- naming a mistake ----


def _first(mistakes, got, reason):
    """The explanation of the first (explanation, wrong formula) whose result the student's equals, else reason."""
    for why, wrong in mistakes:
        if same_result(quietly(wrong), got):
            return why if isinstance(why, Mistake) else mistake(slug(why), why)
    return reason


def _as_array(got):
    return np.asarray(got, dtype=float) if isinstance(got, (np.ndarray, list)) else None


def _infinities(expected, got, what):
    """A reason when got mishandles the -inf entries of expected (nan there, or a finite number), else None."""
    got = _as_array(got)
    if got is None or got.shape != expected.shape:
        return None
    hole = np.isneginf(expected)
    if np.isnan(got[hole]).any():
        return f"a {what} of -inf came back as nan; -inf plus any finite number stays -inf"
    if np.isfinite(got[hole]).any():
        i = int(np.flatnonzero(hole & np.isfinite(got))[0])
        return (f"index {i} should be -inf ({what} -inf) but you returned the finite {got[i]:.4g}: keep -inf, "
                "no smoothing and no replacing -inf with a big negative number")
    return None


def compare_corpus_logits(expected, got, case):
    reason = compare_close(expected, got)
    if reason is None:
        return None
    (counts,) = arguments(case, "counts")
    counts = np.asarray(counts, dtype=float)
    freqs = counts / counts.sum()
    mistakes = [
        ("these are log(counts): divide the counts by their total before the log",
         lambda: np.log(counts)),
        ("these are the frequencies themselves: take their log", lambda: freqs),
        ("looks like +1 smoothing: a count of 0 must give -inf (log 0), so an unseen ending stays unseen",
         lambda: np.log((counts + 1) / (counts + 1).sum())),
    ]
    return _first(mistakes, got, _infinities(expected, got, "count of 0 gives a logit") or reason)


def compare_preference_reward(expected, got, case):
    reason = compare_close(expected, got)
    if reason is None:
        return None
    n, preferred, winner, bonus, penalty = arguments(case, "n", "preferred", "winner", "bonus", "penalty",
                                                 bonus=3.0, penalty=1.0)

    def build(at_preferred, at_winner, both=False):
        reward = np.zeros(n)
        reward[preferred] = at_preferred
        reward[winner] = at_winner + (at_preferred if both else 0.0)
        return reward

    mistakes = [
        ("the preferred ending is also the winner here: it gets the bonus only, no penalty",
         lambda: build(bonus, -penalty)),
        ("the preferred ending is also the winner here: it gets the bonus only, not bonus - penalty",
         lambda: build(bonus, -penalty, both=True)),
        ("the winner's penalty has the wrong sign: it gets -penalty", lambda: build(bonus, penalty)),
        ("use the bonus and penalty arguments, not the defaults 3 and 1", lambda: build(3.0, -1.0)),
        ("an integer array truncates the bonus and penalty to whole numbers: start from np.zeros(n), floats",
         lambda: build(np.trunc(bonus), -np.trunc(penalty))),
    ]
    if preferred != winner:
        mistakes = mistakes[2:]
    return _first(mistakes, got, reason)


def compare_rlhf_logits(expected, got, case):
    reason = compare_close(expected, got)
    if reason is None:
        return None
    base, reward, beta = arguments(case, "base_logits", "reward", "beta")
    mistakes = [
        ("that is base + reward * beta: divide the reward by beta", lambda: base + reward * beta),
        ("that is base - reward / beta: the reward is added", lambda: base - reward / beta),
        ("that is base + reward: divide the reward by beta", lambda: base + reward),
        ("that is (base + reward) / beta: only the reward is divided by beta, the base logits stay as they are",
         lambda: (base + reward) / beta),
        *((f"that is the shift with beta clipped to {floor:g}: use beta as given, a small beta lets the reward "
           "dominate", lambda floor=floor: base + reward / floor) for floor in (0.1, 0.01) if beta < floor),
    ]
    return _first(mistakes, got, _infinities(expected, got, "base logit") or reason)


def _normalized(w):
    return w / w.sum()


def compare_kl_regularized_policy(expected, got, case):
    reason = compare_close(expected, got)
    if reason is None:
        return None
    pi_ref, reward, beta = arguments(case, "pi_ref", "reward", "beta")
    arr = _as_array(got)
    if arr is not None and arr.shape == expected.shape:
        if np.isnan(arr).any() or np.isinf(arr).any():
            return ("nan or inf in the policy: exp(reward / beta) overflows for a small beta (and 0 * inf is nan): "
                    "add log(pi_ref) and reward / beta, then use the stable softmax")
        if (arr[pi_ref == 0] != 0).any():
            return "an ending with pi_ref = 0 got probability: pi_ref * exp(R / beta) is 0 there for any reward"
        if not np.isclose(arr.sum(), 1.0):
            return f"the policy sums to {arr.sum():.4g}, not 1: normalize pi_ref * exp(reward / beta) by its sum"
    mistakes = [
        ("that is pi_ref * exp(reward * beta), normalized: divide the reward by beta",
         lambda: _normalized(pi_ref * np.exp(reward * beta))),
        ("that is softmax(reward / beta): pi_ref is missing", lambda: softmax(reward / beta)),
        ("that is softmax(pi_ref + reward / beta): add log(pi_ref), not pi_ref", lambda: softmax(pi_ref + reward / beta)),
    ]
    return _first(mistakes, got, reason)


def compare_kl_divergence(expected, got, case):
    reason = compare_close(expected, got)
    if reason is None:
        return None
    p, q = arguments(case, "p", "q")
    if isinstance(got, np.ndarray) and got.shape == () and got.dtype.kind in "biuf":
        got = got.item()
    if isinstance(got, float) and np.isnan(got):
        return "nan: an entry with p_i = 0 adds 0 (0 log 0 = 0); leave those entries out of the sum"
    if np.isinf(expected) and isinstance(got, (int, float)):
        return "some q_i = 0 < p_i, so the divergence is +inf; don't clip q with a small epsilon or skip those entries"
    if np.isfinite(expected) and isinstance(got, (int, float)) and np.isinf(got):
        return ("inf, but no q_i = 0 has p_i > 0 here: where p_i = 0 the term is 0 (0 log 0 = 0) whatever q_i is, "
                "so a q_i = 0 makes the divergence inf only where p_i > 0")
    mistakes = [
        ("that is KL(q || p): the arguments are swapped, the first one (p) weights the sum",
         lambda: rlhf.kl_divergence(q, p)),
        ("that is in bits (log base 2): use the natural log", lambda: expected / np.log(2)),
        ("that is in log base 10: use the natural log", lambda: expected / np.log(10)),
    ]
    return _first(mistakes, got, reason)


def compare_prob_after_rlhf(expected, got, case):
    if isinstance(got, np.ndarray) and got.shape == () and got.dtype.kind in "biuf":
        got = got.item()
    if isinstance(got, np.ndarray):
        return f"returned an array of shape {got.shape}: return one float, the probability of ending `token`"
    counts, reward, beta, token = arguments(case, "counts", "reward", "beta", "token")
    if isinstance(got, float) and np.isnan(got):
        return ("nan: pi_ref * exp(reward / beta) overflowed (0 * inf is nan); go through the logits and the "
                "stable softmax instead")
    if counts[token] == 0 and isinstance(got, (int, float)) and got != 0.0:
        return (f"ending {token} has count {counts[token]}, so its base logit is -inf and -inf + R / beta stays -inf "
                f"for any finite reward: its probability must be exactly 0, not {got:.3g} (no smoothing, no "
                "replacing -inf with a finite number)")
    reason = compare_close(expected, got)
    if reason is None:
        return None
    smoothed = np.asarray(counts, dtype=float) + 1
    mistakes = [
        ("that is the shifted logit: return its probability, softmax(...)[token]",
         lambda: float(rlhf.rlhf_logits(rlhf.corpus_logits(counts), reward, beta)[token])),
        ("that is the probability before the shift: add reward / beta to the base logits",
         lambda: float(softmax(rlhf.corpus_logits(counts))[token])),
        ("looks like +1 smoothing of the counts: use corpus_logits(counts) as it is",
         lambda: float(softmax(np.log(smoothed / smoothed.sum()) + reward / beta)[token])),
        ("that is softmax((base + reward) / beta): only the reward is divided by beta",
         lambda: float(softmax((rlhf.corpus_logits(counts) + reward) / beta)[token])),
    ]
    return _first(mistakes, got, reason)


# ---- the cases: small readable ones first, then drawn ones ----


def corpus_logits_cases(rng):
    return [
        Case((np.array([1, 1, 2]),)),
        Case((np.array([3, 0, 1]),)),
        Case((COURSE_COUNTS.copy(),)),
        Case((np.array([0, 5]),)),
        Case((np.array([4]),)),  # one ending: log 1 = 0
        *(Case((_counts(rng),)) for _ in range(6)),
    ]


def preference_reward_cases(rng):
    def drawn():
        n = int(rng.integers(2, 11))
        preferred, winner = (int(i) for i in rng.integers(0, n, size=2))
        bonus, penalty = (float(np.round(v, 2)) for v in rng.uniform(0.5, 5.0, size=2))
        return Case((n, preferred, winner), {"bonus": bonus, "penalty": penalty})

    n = int(rng.integers(3, 9))
    same = int(rng.integers(n))
    return [
        Case((6, SQLITE, 0)),
        Case((6, 0, 0)),
        Case((3, 2, 0), {"bonus": 1.0, "penalty": 0.5}),
        Case((4, 3, 3), {"bonus": 2.0}),
        Case((1, 0, 0), {"bonus": 1.5}),  # one ending, preferred and winner at once
        Case((n, same, same), {"bonus": 1.5, "penalty": 2.5}),
        *(drawn() for _ in range(6)),
    ]


def rlhf_logits_cases(rng):
    def drawn(beta):
        counts = _counts(rng)
        return Case((rlhf.corpus_logits(counts), _reward(rng, counts.size), beta))

    course = rlhf.corpus_logits(COURSE_COUNTS)
    return [
        Case((np.array([0.0, -1.0, -np.inf]), np.array([3.0, -1.0, 0.0]), 1.0)),
        Case((np.array([0.0, -1.0, -np.inf]), np.array([3.0, -1.0, 0.0]), 0.5)),
        Case((np.array([0, -1, -2]), np.array([1, 0, 3]), 2)),  # integers: the shift is still a float
        Case((np.array([-0.5, -1.0, -np.inf]), np.array([1.0, -1.0, 5.0]), 0.001)),  # tiny beta: R / β dominates
        Case((np.array([0.0]), np.array([2.0]), 0.5)),
        Case((course, rlhf.preference_reward(6, SQLITE, 0), 2.0)),
        Case((course, rlhf.preference_reward(6, EXCEL, 0, bonus=100.0), 0.01)),
        *(drawn(_beta(rng)) for _ in range(6)),
    ]


def kl_regularized_policy_cases(rng):
    def drawn(beta):
        n = int(rng.integers(2, 11))
        return Case((_probs(rng, n), _reward(rng, n), beta))

    return [
        Case((np.array([0.5, 0.5]), np.array([1.0, 0.0]), 1.0)),
        Case((np.array([0.7, 0.3, 0.0]), np.array([0.0, 2.0, 9.0]), 1.0)),
        Case((np.array([0.5, 0.5, 0.0]), np.array([0.0, 1.0, 5.0]), 0.1)),  # pi_ref = 0 stays 0, even at R / β = 50
        Case((np.array([1.0]), np.array([5.0]), 0.01)),
        Case((COURSE_COUNTS / COURSE_COUNTS.sum(), rlhf.preference_reward(6, SQLITE, 0), 2.0)),
        Case((np.array([0.6, 0.3, 0.1]), np.array([0.0, 3.0, -1.0]), 0.001)),  # exp(3000) overflows
        *(drawn(_beta(rng)) for _ in range(5)),
        drawn(_beta(rng, 0.001, 0.01)),
    ]


def kl_divergence_cases(rng):
    def drawn(q_zeros=False):
        n = int(rng.integers(2, 11))
        return Case((_probs(rng, n), _probs(rng, n, zeros=q_zeros)))

    return [
        Case((np.array([0.5, 0.5]), np.array([0.9, 0.1]))),
        Case((np.array([0.1, 0.9]), np.array([0.5, 0.5]))),
        Case((np.array([1.0, 0.0]), np.array([0.5, 0.5]))),  # 0 log 0 = 0
        Case((np.array([0.5, 0.5]), np.array([1.0, 0.0]))),  # q = 0 < p: inf
        Case((np.array([0.5, 0.5, 0.0]), np.array([0.25, 0.75, 0.0]))),  # p = 0 where q = 0: that term is 0
        Case((np.array([0.0, 1.0, 0.0]), np.array([0.5, 0.5, 0.0]))),  # both at once: log 2
        Case((np.array([1.0]), np.array([1.0]))),
        Case((np.array([0.2, 0.3, 0.5]), np.array([0.2, 0.3, 0.5]))),
        *(drawn() for _ in range(5)),
        drawn(q_zeros=True),
    ]


def prob_after_rlhf_cases(rng):
    def drawn():
        counts = _counts(rng)
        n = counts.size
        unseen = np.flatnonzero(counts == 0)
        # half the time the raters prefer an ending the corpus never saw, with a big bonus
        preferred = int(rng.choice(unseen)) if unseen.size and rng.random() < 0.5 else int(rng.integers(n))
        bonus = float(np.round(np.exp(rng.uniform(0.0, np.log(1e4))), 2))
        reward = rlhf.preference_reward(n, preferred, int(np.argmax(counts)), bonus=bonus)
        token = preferred if rng.random() < 0.7 else int(rng.integers(n))
        return Case((counts, reward, _beta(rng, 0.001, 10.0), token))

    course_sqlite = rlhf.preference_reward(6, SQLITE, 0)
    return [
        Case((COURSE_COUNTS.copy(), course_sqlite, 1.0, SQLITE)),
        Case((COURSE_COUNTS.copy(), course_sqlite, 1.0, 0)),
        Case((COURSE_COUNTS.copy(), course_sqlite, 2.0, SQLITE)),  # beta divides the reward only
        Case((np.array([3]), np.array([1.0]), 0.5, 0)),  # one ending: probability 1
        Case((COURSE_COUNTS.copy(), rlhf.preference_reward(6, EXCEL, 0, bonus=1000.0), 0.01, EXCEL)),
        Case((COURSE_COUNTS.copy(), rlhf.preference_reward(6, EXCEL, 0, bonus=1e6), 1e-4, EXCEL)),  # R/β = 1e10
        Case((np.array([0, 5, 1]), np.array([50.0, 0.0, 0.0]), 0.1, 0)),
        *(drawn() for _ in range(8)),
    ]


SPECS = [
    Spec("corpus_logits", rlhf.corpus_logits, corpus_logits_cases, compare=compare_corpus_logits,
         hint="logit_i = log(c_i / Σ c): divide by the total, then take the log; a count of 0 gives -inf"),
    Spec("preference_reward", rlhf.preference_reward, preference_reward_cases, compare=compare_preference_reward,
         hint="a float array of n zeros, +bonus at preferred, -penalty at winner only when winner != preferred"),
    Spec("rlhf_logits", rlhf.rlhf_logits, rlhf_logits_cases, compare=compare_rlhf_logits,
         hint="new_logit = base_logit + reward / beta, elementwise; -inf stays -inf"),
    Spec("kl_regularized_policy", rlhf.kl_regularized_policy, kl_regularized_policy_cases,
         compare=compare_kl_regularized_policy,
         hint="pi_ref · exp(reward / beta), normalized to sum 1; compute it as softmax(log pi_ref + reward / beta)"),
    Spec("kl_divergence", rlhf.kl_divergence, kl_divergence_cases, compare=compare_kl_divergence,
         hint="Σ p_i log(p_i / q_i) over the entries with p_i > 0 (0 log 0 = 0), natural log; +inf where q_i = 0 < p_i"),
    Spec("prob_after_rlhf", prob_after_rlhf, prob_after_rlhf_cases, compare=compare_prob_after_rlhf,
         hint="softmax(rlhf_logits(corpus_logits(counts), reward, beta))[token], one float; an ending with count 0 "
              "stays at exactly 0"),
]
