"""Hidden tests of rung 6 (06_sampling): temperature, top-p, greedy, the inverse-CDF draw, next_token, generate."""

import json
from pathlib import Path

import numpy as np

from autograder.spec import Case, Rng, Spec, compare_default
from reference import sampling

TINY = json.loads((Path(sampling.__file__).parent / "tinygpt.json").read_text())  # the tiny model the notebook ships
VOCAB = TINY["VOCAB"]
MODEL = {name: np.array(value, dtype=float) for name, value in TINY["MODEL"].items()}
PROMPT = [VOCAB.index(w) for w in "a fluffy blue creature".split()]


def _logits(rng, V):
    return np.round(rng.normal(0, 2, size=V), 2)


def _normalized(p):
    p = np.round(p, 3) + 1e-3  # readable, and no exact zeros
    return p / p.sum()


def _seed(rng):
    return Rng(int(rng.integers(2**31)))


def temperature_cases(rng):
    return [
        Case((np.array([1.0, 2.0, 3.0]), 1.0)),
        Case((np.array([1.0, 2.0, 3.0]), 0.5)),
        Case((np.array([0.0, 1.0, -np.inf]), 2.0)),  # an unreachable word stays at 0
        Case((np.array([1000.0, 1001.0]), 1.0)),  # large logits: subtract the max before exp
        Case((_logits(rng, 6), float(np.round(rng.uniform(0.2, 3.0), 2)))),
        Case((_logits(rng, 14), float(np.round(rng.uniform(0.2, 3.0), 2)))),
    ]


def top_p_cases(rng):
    random = [Case((_normalized(rng.dirichlet(np.ones(8) * 0.7)), float(np.round(rng.uniform(0.3, 0.95), 2))))
              for _ in range(3)]
    return [
        Case((np.array([0.5, 0.3, 0.2]), 0.6)),
        Case((np.array([0.5, 0.3, 0.2]), 0.8)),  # the mass reaches p exactly at the second word
        Case((np.array([0.1, 0.6, 0.3]), 0.7)),  # not sorted
        Case((np.array([0.25, 0.25, 0.25, 0.25]), 0.5)),  # ties go to the lower index
        Case((np.array([0.2, 0.8]), 0.1)),  # one word is enough
        Case((np.array([0.4, 0.3, 0.2, 0.1]), 1.0)),
        *random,
    ]


def greedy_cases(rng):
    return [
        Case((np.array([1.0, 3.0, 2.0]),)),
        Case((np.array([2.0, 5.0, 5.0]),)),  # a tie: the lower index
        Case((np.array([-np.inf, -1.0, -2.0]),)),
        Case((_logits(rng, 10),)),
        Case((_logits(rng, 14),)),
    ]


def sample_cases(rng):
    probs = _normalized(rng.dirichlet(np.ones(6)))
    return [
        Case((np.array([0.2, 0.5, 0.3]), 0.1)),
        Case((np.array([0.25, 0.5, 0.25]), 0.25)),  # u on a boundary belongs to the next word
        Case((np.array([0.0, 0.5, 0.5]), 0.0)),  # a zero-probability word is never drawn
        Case((np.array([0.25, 0.5, 0.25]), 0.75)),
        Case((np.array([0.5, 0.5, 0.0]), 0.9999999)),
        *[Case((probs, float(np.round(rng.uniform(0, 1), 4)))) for _ in range(3)],
    ]


def next_token_cases(rng):
    logits = _logits(rng, 8)
    return [
        Case((np.array([1.0, 3.0, 2.0]),), {"T": 0}),
        Case((np.array([0.0, 0.0]),), {"T": 1.0, "u": 0.7}),
        Case((np.array([2.0, 1.0, 0.0]),), {"T": 1.0, "top_p": 0.6, "u": 0.9}),
        Case((np.array([2.0, 1.0, 0.0]),), {"T": 0.5, "u": 0.85}),
        Case((logits,), {"T": 1.5, "top_p": 0.8, "u": float(np.round(rng.uniform(), 3))}),
        Case((logits,), {"T": 1.0, "rng": _seed(rng)}),  # u drawn from rng: exactly one rng.random()
        Case((logits,), {"T": 0.7, "top_p": 0.9, "rng": _seed(rng)}),
        *[Case((logits,), {"T": 3.0, "rng": _seed(rng)}) for _ in range(3)],  # flat: every draw matters
    ]


def generate_cases(rng):
    words = len(VOCAB)
    prompt = [int(i) for i in rng.integers(words, size=3)]
    return [
        Case((MODEL, PROMPT, 4), {"T": 0}),
        Case((MODEL, PROMPT, 0), {"T": 1.0, "rng": _seed(rng)}),
        Case((MODEL, PROMPT, 4), {"T": 1.0, "rng": _seed(rng)}),
        Case((MODEL, prompt, 5), {"T": 1.3, "top_p": 0.9, "rng": _seed(rng)}),
        Case((MODEL, prompt, 3), {"T": 0.8, "top_p": 0.7, "rng": _seed(rng)}),
    ]


def compare_temperature(expected, got, case):
    reason = compare_default(expected, got, case)
    logits, T = case.args
    if reason and isinstance(got, np.ndarray) and got.shape == expected.shape and got.dtype.kind == "f":
        if not np.isfinite(got).all():
            return reason + ": NaN or inf in the result; subtract the largest logit before exp"
        after = sampling.apply_temperature(logits, 1.0) / T  # softmax first, then divided by T
        if np.allclose(got, after) or np.allclose(got, sampling.apply_temperature(np.log(after + 1e-300), T)):
            return reason + ": the temperature was applied after the softmax; divide the logits by T first"
    return reason


def compare_top_p(expected, got, case):
    reason = compare_default(expected, got, case)
    if not reason or not isinstance(got, np.ndarray) or got.shape != expected.shape:
        return reason
    n_got, n_expected = int(np.count_nonzero(got)), int(np.count_nonzero(expected))
    if n_got < n_expected:
        return (f"kept {n_got} token{'s' * (n_got != 1)}, expected {n_expected}: "
                "the boundary token whose mass reaches p must be kept")
    if n_got > n_expected:
        return f"kept {n_got} tokens, expected {n_expected}: stop at the first token whose running total reaches p"
    if not np.array_equal(got != 0, expected != 0):
        return "kept the wrong tokens: rank by probability, highest first (ties to the lower index)"
    if not np.isclose(got.sum(), 1.0):
        return f"the kept probabilities sum to {got.sum():.4g}: renormalize them to sum to 1"
    return reason


def compare_sample(expected, got, case):
    reason = compare_default(expected, got, case)
    probs, u = case.args
    if reason and isinstance(got, int) and 0 <= got < len(probs) and got == expected - 1:
        if np.isclose(np.cumsum(probs)[got], u):
            return reason + ": u equals the running total at that index; use u < cumsum[i] (strict), not <="
    return reason


SPECS = [
    Spec("apply_temperature", sampling.apply_temperature, temperature_cases, compare=compare_temperature,
         hint="softmax(logits / T): divide by T before the softmax, and subtract the max logit before exp"),
    Spec("top_p_filter", sampling.top_p_filter, top_p_cases, compare=compare_top_p,
         hint="rank by probability, keep words until the running total is >= p (that word included), "
              "zero the rest, renormalize"),
    Spec("greedy", sampling.greedy, greedy_cases, hint="the index of the largest logit as an int, lowest on ties"),
    Spec("sample_index", sampling.sample_index, sample_cases, compare=compare_sample,
         hint="the first i with u < cumsum(probs)[i] (strictly less), as an int"),
    Spec("next_token", sampling.next_token, next_token_cases,
         hint="T == 0 is greedy; else softmax(logits / T), then top-p, then the draw with u "
              "(exactly one rng.random() when u is None)"),
    Spec("generate", sampling.generate, generate_cases,
         hint="the prompt ids then n new ones, each from next_token on forward(model, ids so far), "
              "one rng for the whole loop and one rng.random() per sampled word"),
]
