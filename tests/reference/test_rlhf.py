"""reference.rlhf: corpus logits, the preference reward, the RLHF logit shift and KL, checked by hand, against
scipy (softmax, entropy) and by the property that an unseen word stays unreachable."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.special import softmax as gold_softmax
from scipy.stats import entropy

from numcheck import arrays, floats, prob_vectors, raises_naming
from reference import rlhf

pytestmark = pytest.mark.filterwarnings("error")  # log 0 = -inf must not warn


def test_corpus_logits_by_hand():
    logits = rlhf.corpus_logits([3, 0, 1])
    assert logits[1] == -np.inf
    assert logits[[0, 2]] == pytest.approx(np.log([0.75, 0.25]))


@given(st.lists(st.integers(0, 50), min_size=1, max_size=8).filter(lambda c: sum(c) > 0))
def test_corpus_logits_are_log_relative_frequencies(counts):
    logits = rlhf.corpus_logits(counts)
    counts = np.array(counts, float)
    assert np.array_equal(np.isneginf(logits), counts == 0)
    assert np.allclose(np.exp(logits), counts / counts.sum())


def test_preference_reward_by_hand():
    assert rlhf.preference_reward(4, 1, 2).tolist() == [0, 3, -1, 0]
    assert rlhf.preference_reward(4, 2, 2).tolist() == [0, 0, 3, 0]  # the winner is already preferred
    assert rlhf.preference_reward(3, 0, 2, bonus=5.0, penalty=0.5).tolist() == [5, 0, -0.5]


@given(st.integers(1, 8).flatmap(lambda n: st.tuples(arrays(n, -20, 20), arrays(n), floats(1e-3, 1e3))))
def test_rlhf_logits_shift_by_reward_over_beta(args):
    base, reward, beta = args
    assert np.allclose(rlhf.rlhf_logits(base, reward, beta), base + reward / beta)


@given(floats(-1e6, 1e6), floats(1e-6, 1e6))
def test_rlhf_logits_keep_minus_inf_for_any_reward_and_beta(r, beta):
    """An unseen word: base logit -inf. No finite reward, however large, and no beta, however small, lifts it."""
    logits = rlhf.rlhf_logits(np.array([np.log(0.5), -np.inf, np.log(0.5)]), np.array([0.0, r, 0.0]), beta)
    assert logits[1] == -np.inf
    assert gold_softmax(logits)[1] == 0


def test_an_unseen_word_stays_unreachable_end_to_end():
    base = rlhf.corpus_logits([5, 0, 3])
    reward = rlhf.preference_reward(3, preferred=1, winner=0, bonus=1e9)
    policy = rlhf.kl_regularized_policy(np.exp(base), reward, beta=1e-6)
    assert policy[1] == 0 and policy.sum() == pytest.approx(1)


@given(prob_vectors().flatmap(lambda p: st.tuples(st.just(p), arrays(p.size), floats(0.05, 100))))
def test_kl_regularized_policy_is_softmax_of_log_pi_ref_plus_reward_over_beta(args):
    pi_ref, reward, beta = args
    with np.errstate(divide="ignore"):
        log_pi_ref = np.log(pi_ref)
    gold = gold_softmax(log_pi_ref + reward / beta)
    policy = rlhf.kl_regularized_policy(pi_ref, reward, beta)
    assert np.allclose(policy, gold)
    assert np.allclose(policy, pi_ref * np.exp(reward / beta) / np.sum(pi_ref * np.exp(reward / beta)))


def test_kl_regularized_policy_with_tiny_beta_does_not_overflow():
    """exp(R / beta) overflows for beta = 1e-3 and R = 10; the policy is still the best rewarded word in support."""
    policy = rlhf.kl_regularized_policy([0.2, 0.3, 0.5], [10.0, 9.0, -1.0], 1e-3)
    assert policy.tolist() == pytest.approx([1.0, 0.0, 0.0])


def test_kl_regularized_policy_with_large_beta_stays_at_pi_ref():
    assert rlhf.kl_regularized_policy([0.2, 0.3, 0.5], [10.0, 9.0, -1.0], 1e9) == pytest.approx([0.2, 0.3, 0.5])


@given(prob_vectors(min_size=2, max_size=6).flatmap(lambda p: st.tuples(st.just(p), prob_vectors(p.size, p.size))))
def test_kl_divergence_matches_scipy_entropy(pq):
    p, q = pq
    kl = rlhf.kl_divergence(p, q)
    gold = entropy(p, q)
    assert type(kl) is float
    if np.isinf(gold):
        assert kl == np.inf
    else:
        assert kl == pytest.approx(gold, abs=1e-12) and kl >= -1e-12


def test_kl_divergence_by_hand():
    assert rlhf.kl_divergence([0.5, 0.5], [0.5, 0.5]) == 0
    assert rlhf.kl_divergence([1.0, 0.0], [0.5, 0.5]) == pytest.approx(np.log(2))  # 0 log 0 = 0
    assert rlhf.kl_divergence([0.5, 0.5], [1.0, 0.0]) == np.inf  # q = 0 < p
    assert rlhf.kl_divergence([0.0, 1.0], [0.0, 1.0]) == 0


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: rlhf.corpus_logits([3, -1, 2]), "counts"),
        (lambda: rlhf.corpus_logits([0, 0]), "counts"),
        (lambda: rlhf.corpus_logits([1.0, np.nan]), "counts"),
        (lambda: rlhf.corpus_logits([]), "counts"),
        (lambda: rlhf.corpus_logits([[1, 2]]), "counts"),
        (lambda: rlhf.preference_reward(0, 0, 0), "n"),
        (lambda: rlhf.preference_reward(3, 3, 0), "preferred"),
        (lambda: rlhf.preference_reward(3, 0, -1), "winner"),
        (lambda: rlhf.preference_reward(3, 0, 1, bonus=np.nan), "bonus"),
        (lambda: rlhf.preference_reward(3, 0, 1, penalty=np.inf), "penalty"),
        (lambda: rlhf.rlhf_logits([0.0, 1.0], [1.0], 1.0), "base_logits"),
        (lambda: rlhf.rlhf_logits([0.0, 1.0], [1.0, 2.0], 0.0), "beta"),
        (lambda: rlhf.rlhf_logits([0.0, 1.0], [1.0, 2.0], -1.0), "beta"),
        (lambda: rlhf.rlhf_logits([0.0, np.nan], [1.0, 2.0], 1.0), "base_logits"),
        (lambda: rlhf.rlhf_logits([0.0, np.inf], [1.0, 2.0], 1.0), "base_logits"),
        (lambda: rlhf.rlhf_logits([0.0, 1.0], [1.0, -np.inf], 1.0), "reward"),
        (lambda: rlhf.kl_regularized_policy([0.5, 0.6], [1.0, 2.0], 1.0), "pi_ref"),
        (lambda: rlhf.kl_regularized_policy([0.5, 0.5], [1.0], 1.0), "pi_ref"),
        (lambda: rlhf.kl_regularized_policy([0.5, 0.5], [1.0, 2.0], 0), "beta"),
        (lambda: rlhf.kl_divergence([0.5, 0.5], [0.2, 0.3, 0.5]), "p"),
        (lambda: rlhf.kl_divergence([1.5, -0.5], [0.5, 0.5]), "p"),
        (lambda: rlhf.kl_divergence([0.5, 0.5], [0.5, np.nan]), "q"),
    ],
)
def test_invalid_arguments_name_the_argument(call, name):
    with raises_naming(name):
        call()


def test_messages_say_what_was_expected_and_what_arrived():
    with pytest.raises(ValueError, match=r"counts must be non-negative; got -1\.0 at index 1"):
        rlhf.corpus_logits([3, -1, 2])
    with pytest.raises(ValueError, match=r"beta must be > 0; got 0"):
        rlhf.rlhf_logits([0.0], [1.0], 0)
