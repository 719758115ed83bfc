"""reference.sampling: temperature, top-p, greedy, the inverse-CDF draw and generation, checked against scipy's
softmax, brute-force loops written here, and a stand-in model (so these tests do not depend on rung 5)."""

import itertools
import sys
import types

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.special import softmax as gold_softmax

from numcheck import arrays, floats, prob_vectors, raises_naming
from reference import sampling as smp

pytestmark = pytest.mark.filterwarnings("error")

LOGITS = st.integers(1, 8).flatmap(lambda n: arrays(n, -10, 10))


def dyadic_probs(max_size=6):
    """Probability vectors with entries k/64: every partial sum is exact, so "reaches p" has one answer."""
    counts = st.lists(st.integers(0, 12), max_size=max_size - 1).map(lambda c: c + [64 - sum(c)])
    return counts.flatmap(st.permutations).map(lambda c: np.array(c, float) / 64)


# ---- temperature and greedy ----


@given(LOGITS, floats(0.05, 20))
def test_apply_temperature_is_softmax_of_logits_over_T(logits, T):
    assert np.allclose(smp.apply_temperature(logits, T), gold_softmax(logits / T))


@given(LOGITS)
def test_temperature_towards_0_approaches_greedy(logits):
    """As T falls, the top word's probability rises; with a unique maximum it tends to 1 and the draw to greedy."""
    top = smp.greedy(logits)
    p_top = [smp.apply_temperature(logits, T)[top] for T in (10, 1, 0.1, 0.01, 1e-4)]
    assert all(a <= b + 1e-12 for a, b in zip(p_top, p_top[1:]))
    second, first = np.sort(np.append(logits, -np.inf))[-2:]
    if first - second > 0.01:
        assert p_top[-1] == pytest.approx(1)
        assert smp.next_token(logits, T=1e-4, u=0.999999) == top


def test_greedy_takes_the_lowest_index_on_ties():
    assert smp.greedy([1.0, 3.0, 3.0, -np.inf]) == 1
    assert smp.greedy([-np.inf, 0.0]) == 1
    assert type(smp.greedy([0.0])) is int


# ---- top-p ----


def brute_force_top_p(probs, p):
    """Among all sets of words whose mass reaches p: the smallest, then the heaviest, then the lowest indices."""
    n = len(probs)
    for size in range(1, n + 1):
        reaching = [s for s in itertools.combinations(range(n), size) if sum(probs[list(s)]) >= p]
        if reaching:
            best = min(reaching, key=lambda s: (-sum(probs[list(s)]), s))
            kept = np.zeros(n)
            kept[list(best)] = probs[list(best)]
            return kept / kept.sum()
    return probs / probs.sum()


@given(dyadic_probs(), st.integers(1, 64))
def test_top_p_keeps_the_smallest_set_reaching_p(probs, k):
    p = k / 64
    assert np.allclose(smp.top_p_filter(probs, p), brute_force_top_p(probs, p))


@given(prob_vectors(), floats(1e-6, 1))
def test_top_p_keeps_at_least_one_word_and_renormalizes(probs, p):
    kept = smp.top_p_filter(probs, p)
    assert np.sum(kept > 0) >= 1 and kept.sum() == pytest.approx(1)
    on = kept > 0
    assert np.allclose(kept[on] / probs[on], kept[on][0] / probs[on][0])  # proportions of kept words unchanged
    assert probs[on].sum() >= p - 1e-12 or np.all(on == (probs > 0))


def test_top_p_by_hand():
    probs = np.array([0.1, 0.4, 0.1, 0.4])
    assert smp.top_p_filter(probs, 0.4).tolist() == [0, 1, 0, 0]  # the first 0.4 alone reaches 0.4
    assert smp.top_p_filter(probs, 0.5).tolist() == [0, 0.5, 0, 0.5]
    assert smp.top_p_filter(probs, 0.85).tolist() == pytest.approx([1 / 9, 4 / 9, 0, 4 / 9])  # tie: lower index
    assert smp.top_p_filter(probs, 1.0).tolist() == pytest.approx(probs.tolist())


# ---- the inverse-CDF draw ----


def loop_sample_index(probs, u):
    total = 0.0
    for i, q in enumerate(probs):
        total += q
        if u < total:
            return i
    return max(i for i, q in enumerate(probs) if q > 0)


@given(prob_vectors(), floats(0, 1).filter(lambda u: u < 1))
def test_sample_index_matches_a_loop(probs, u):
    assert smp.sample_index(probs, u) == loop_sample_index(probs, u)


def test_sample_index_by_hand():
    probs = [0.2, 0.3, 0.0, 0.5]
    assert [smp.sample_index(probs, u) for u in (0.0, 0.19, 0.2, 0.49, 0.5, 0.99)] == [0, 0, 1, 1, 3, 3]


def test_sample_index_falls_back_to_the_last_nonzero_word_when_rounding_leaves_none():
    probs = np.array([0.1] * 10 + [0.0])
    u = np.nextafter(1.0, 0)  # the largest u allowed
    assert np.cumsum(probs)[-1] <= u  # the ten 0.1s add up to 0.9999999999999999
    assert smp.sample_index(probs, u) == 9
    assert smp.sample_index([0.5, 0.5 - 1e-9, 0.0], 0.9999999995) == 1  # a renormalization's residue


def test_sample_index_draws_each_word_with_its_probability():
    probs = np.array([0.125, 0.5, 0.0, 0.375])
    grid = (np.arange(8000) + 0.5) / 8000  # evenly spread u
    counts = np.bincount([smp.sample_index(probs, u) for u in grid], minlength=4)
    assert np.allclose(counts / 8000, probs)


# ---- next_token ----


@given(LOGITS, floats(0.1, 5), floats(0.05, 1), floats(0, 0.999))
def test_next_token_is_temperature_then_top_p_then_the_draw(logits, T, top_p, u):
    probs = smp.top_p_filter(smp.apply_temperature(logits, T), top_p)
    assert smp.next_token(logits, T=T, top_p=top_p, u=u) == smp.sample_index(probs, u)


def test_next_token_at_T_0_is_greedy_and_draws_nothing():
    rng = np.random.default_rng(3)
    state = rng.bit_generator.state
    assert smp.next_token([0.0, 2.0, 2.0, 1.0], T=0, rng=rng) == 1
    assert rng.bit_generator.state == state


def test_next_token_draws_exactly_one_u_from_rng():
    logits = np.log([0.1, 0.2, 0.3, 0.4])
    rng, twin = np.random.default_rng(11), np.random.default_rng(11)
    for _ in range(20):
        u = twin.random()
        assert smp.next_token(logits, rng=rng) == smp.sample_index(np.array([0.1, 0.2, 0.3, 0.4]), u)
    assert rng.random() == twin.random()  # the same number of draws on both


def test_next_token_without_rng_uses_fresh_randomness():
    draws = {smp.next_token(np.zeros(50)) for _ in range(40)}
    assert len(draws) > 1 and draws <= set(range(50))


def test_an_unreachable_word_is_never_drawn():
    logits = np.array([0.0, -np.inf, 0.0])
    assert all(smp.next_token(logits, u=u) != 1 for u in np.linspace(0, 0.999, 200))


# ---- generate (with a stand-in for reference.block.forward) ----


@pytest.fixture
def model(monkeypatch):
    """A tiny model whose logits favour the word after the last one (cyclically); forward counts its calls."""
    V = 5
    calls = []

    def forward(model, ids):
        calls.append(list(ids))
        logits = np.zeros(V)
        logits[(ids[-1] + 1) % V] = 3.0
        return logits

    monkeypatch.setitem(sys.modules, "reference.block", types.SimpleNamespace(forward=forward))
    return {"E": np.eye(V), "calls": calls}


def test_generate_greedy_appends_n_words(model):
    assert smp.generate(model, [1, 2], 4, T=0) == [1, 2, 3, 4, 0, 1]
    assert model["calls"] == [[1, 2], [1, 2, 3], [1, 2, 3, 4], [1, 2, 3, 4, 0]]  # each step sees all so far
    assert smp.generate(model, [3], 0) == [3]


def test_generate_consumes_one_rng_draw_per_new_word(model):
    rng, twin = np.random.default_rng(7), np.random.default_rng(7)
    out = smp.generate(model, [0], 6, T=1.5, top_p=0.9, rng=rng)
    expected = [0]
    for _ in range(6):
        logits = np.zeros(5)
        logits[(expected[-1] + 1) % 5] = 3.0
        expected.append(smp.next_token(logits, T=1.5, top_p=0.9, u=twin.random()))
    assert out == expected and all(type(i) is int for i in out)
    assert rng.random() == twin.random()


def test_generate_is_reproducible_with_a_seed(model):
    runs = [smp.generate(model, [0], 10, rng=np.random.default_rng(1)) for _ in range(2)]
    assert runs[0] == runs[1]


# ---- invalid arguments ----


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: smp.apply_temperature([1.0, 2.0], 0), "T"),
        (lambda: smp.apply_temperature([1.0, 2.0], -1.0), "T"),
        (lambda: smp.apply_temperature([1.0, np.nan], 1.0), "logits"),
        (lambda: smp.apply_temperature([[1.0, 2.0]], 1.0), "logits"),
        (lambda: smp.apply_temperature([-np.inf, -np.inf], 1.0), "logits"),
        (lambda: smp.top_p_filter([0.5, 0.5], 0), "p"),
        (lambda: smp.top_p_filter([0.5, 0.5], 1.5), "p"),
        (lambda: smp.top_p_filter([0.5, 0.5], np.nan), "p"),
        (lambda: smp.top_p_filter([0.5, 0.6], 0.5), "probs"),
        (lambda: smp.top_p_filter([1.5, -0.5], 0.5), "probs"),
        (lambda: smp.greedy([]), "logits"),
        (lambda: smp.greedy([np.nan, 1.0]), "logits"),
        (lambda: smp.sample_index([0.5, 0.5], 1.0), "u"),
        (lambda: smp.sample_index([0.5, 0.5], -0.1), "u"),
        (lambda: smp.sample_index([0.5, 0.4], 0.3), "probs"),
        (lambda: smp.next_token([1.0, 2.0], T=-0.5), "T"),
        (lambda: smp.next_token([1.0, 2.0], top_p=0), "top_p"),
        (lambda: smp.next_token([1.0, 2.0], u=1.0), "u"),
        (lambda: smp.next_token([1.0, 2.0], rng=42), "rng"),
    ],
)
def test_invalid_arguments_name_the_argument(call, name):
    with raises_naming(name):
        call()


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"ids": [5]}, "ids"),
        ({"ids": [-1]}, "ids"),
        ({"ids": []}, "ids"),
        ({"ids": [[0]]}, "ids"),
        ({"n": -1}, "n"),
        ({"n": 1.5}, "n"),
        ({"T": -1.0}, "T"),
        ({"top_p": 2.0}, "top_p"),
        ({"rng": np.random.RandomState(0)}, "rng"),
    ],
)
def test_generate_invalid_arguments_name_the_argument(model, kwargs, name):
    args = {"ids": [0], "n": 2, **kwargs}
    with raises_naming(name):
        smp.generate(model, **args)
    with raises_naming("model"):
        smp.generate([1, 2], [0], 2)
