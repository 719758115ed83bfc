"""Rung 7: from corpus counts to a base model, and how a preference reward shifts it (RLHF in one formula).

The KL-regularized objective  max_pi E_pi[R] - beta KL(pi || pi_ref)  has the closed-form answer
pi(i) ∝ pi_ref(i) exp(R_i / beta); in logits that is  new_logit = base_logit + R / beta.
A word the corpus never saw has pi_ref = 0, logit -inf, and no finite reward can bring it back.
"""

import numpy as np

from reference import _checks as check
from reference.attention import _softmax


def corpus_logits(counts):
    """Base logits from word counts: the log of each word's relative frequency, log(c_i / Σ c).

    Parameters
    ----------
    counts : ndarray of shape `(V,)`
        Non-negative, not all zero.

    Returns
    -------
    logits : ndarray of shape `(V,)`
        -inf where the count is 0 (a word the corpus never saw).
    """
    counts = check.array(counts, "counts", ndim=1, nonempty=True)
    neg = counts < 0
    if neg.any():
        raise ValueError(f"counts must be non-negative; got {counts[neg][0]} at index {int(np.flatnonzero(neg)[0])}")
    if not counts.any():
        raise ValueError(f"counts must not be all zero (no word seen, no distribution); got {counts.size} zeros")
    with np.errstate(divide="ignore"):  # log 0 = -inf is the answer, not an accident
        return np.log(counts / counts.sum())


def preference_reward(n, preferred, winner, bonus=3.0, penalty=1.0):
    """The preference reward vector: +bonus at the preferred word, -penalty at the base model's winner when that is
    a different word, 0 elsewhere.

    Parameters
    ----------
    n : int >= 1
        Vocabulary size.
    preferred, winner : int in [0, n)
        The word people preferred, and the word the base model would choose.
    bonus, penalty : float

    Returns
    -------
    reward : ndarray of shape `(n,)`
    """
    n = check.integer(n, "n", minimum=1)
    preferred, winner = check.index(preferred, "preferred", n), check.index(winner, "winner", n)
    bonus, penalty = check.real(bonus, "bonus"), check.real(penalty, "penalty")
    reward = np.zeros(n)
    reward[preferred] = bonus
    if winner != preferred:
        reward[winner] = -penalty
    return reward


def rlhf_logits(base_logits, reward, beta):
    """The RLHF logit shift: new_logit = base_logit + R / beta; a -inf base logit stays -inf.

    Parameters
    ----------
    base_logits : ndarray
        Finite or -inf.
    reward : ndarray of the shape of `base_logits`
    beta : float > 0
        The KL penalty's strength: small beta lets the reward dominate, large beta stays close to the base.

    Returns
    -------
    logits : ndarray of the shape of `base_logits`
    """
    base_logits = check.array(base_logits, "base_logits", inf="neg")
    reward = check.array(reward, "reward")
    check.same_shape(base_logits, reward, "base_logits", "reward")
    beta = check.positive(beta, "beta")
    return check.elementwise_result(base_logits + reward / beta)  # -inf + finite = -inf


def kl_regularized_policy(pi_ref, reward, beta):
    """The KL-regularized optimal policy pi(i) = pi_ref(i) exp(R_i / beta) / Z.

    Computed as softmax(log pi_ref + R / beta), which cannot overflow however small beta is.

    Parameters
    ----------
    pi_ref : ndarray of shape `(V,)`
        The reference (base) policy, a probability vector.
    reward : ndarray of shape `(V,)`
    beta : float > 0

    Returns
    -------
    pi : ndarray of shape `(V,)`
        A probability vector, 0 wherever pi_ref is 0.
    """
    pi_ref = check.probabilities(pi_ref, "pi_ref")
    reward = check.array(reward, "reward")
    check.same_shape(pi_ref, reward, "pi_ref", "reward")
    beta = check.positive(beta, "beta")
    with np.errstate(divide="ignore"):  # pi_ref = 0 -> log -inf -> probability 0
        return _softmax(np.log(pi_ref) + reward / beta)


def kl_divergence(p, q):
    """KL(p || q) = Σ p_i log(p_i / q_i), with 0 log 0 = 0; inf when some q_i = 0 < p_i.

    Parameters
    ----------
    p, q : ndarray of shape `(V,)`
        Probability vectors.

    Returns
    -------
    kl : float >= 0
    """
    p = check.probabilities(p, "p")
    q = check.probabilities(q, "q")
    check.same_shape(p, q, "p", "q")
    with np.errstate(divide="ignore", invalid="ignore"):  # log 0 appears only where it is masked or means inf
        terms = np.where(p > 0, p * (np.log(p) - np.log(q)), 0.0)
    return float(terms.sum())
