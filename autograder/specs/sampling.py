"""Hidden tests of rung 6 (06_sampling): temperature, top-p, greedy, the inverse-CDF draw, next_token, generate."""

import json
from pathlib import Path

import numpy as np

from autograder.spec import Case, Rng, Spec, arguments, compare_default, Mistake, mistake, quietly, slug, same_result
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
        Case((np.array([1, 2, 3]), 2.0)),  # integer logits: the probabilities are still floats
        Case((np.array([0.0, 0.1, -0.2]), 0.05)),  # a tiny T is used as given, however sharp
        Case((np.array([2.0]), 0.5)),  # one word: probability 1
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
        Case((np.array([0.2, 0.8]), 0.01)),
        Case((np.array([1.0]), 0.5)),
        Case((np.array([0.4, 0.3, 0.2, 0.1]), 1.0)),
        Case((np.array([0.995, 0.004, 0.001]), 1.0)),  # p = 1 keeps even the tiny tail
        *random,
    ]


def greedy_cases(rng):
    return [
        Case((np.array([1.0, 3.0, 2.0]),)),
        Case((np.array([2.0, 5.0, 5.0]),)),  # a tie: the lower index
        Case((np.array([-np.inf, -1.0, -2.0]),)),  # the index counts the -inf entries too
        Case((np.array([2.2, 2.7, -1.0]),)),  # the same integer part: compare the floats
        Case((np.array([3, 7, 7, 1]),)),  # integer logits, tied
        Case((np.array([4.0]),)),
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
        Case((np.array([1.0]), 0.5)),
        # ten 0.1s add up to 0.9999999999999999, which is u itself: rounding leaves no slice, the answer is
        # the last word with nonzero probability (9), never the zero-probability word after it
        Case((np.array([0.1] * 10 + [0.0]), float(np.nextafter(1.0, 0.0)))),
        *[Case((probs, float(np.round(rng.uniform(0, 1), 4)))) for _ in range(3)],
    ]


def next_token_cases(rng):
    logits = _logits(rng, 8)
    return [
        Case((np.array([1.0, 3.0, 2.0]),), {"T": 0}),
        Case((np.array([2.0, 5.0, 5.0]),), {"T": 0, "u": 0.9}),  # greedy: the lower of the tied, u unused
        Case((np.array([1.0, 1.02, 0.0]),), {"T": 0, "u": 0.2}),  # greedy, not a draw at a small T
        Case((np.array([0.0, 0.1]),), {"T": 0.05, "u": 0.2}),  # a tiny T is used as given
        Case((np.array([0.0, 0.0]),), {"T": 1.0, "u": 0.7}),
        Case((np.array([0.0, 0.0]),), {"T": 1.0, "u": 0.5}),  # u on the boundary belongs to the next word
        Case((np.array([1.0, -np.inf, 0.0]),), {"T": 1.0, "u": 0.99}),  # an unreachable word is skipped
        Case((np.array([3.0]),), {"T": 0.7, "u": 0.5}),
        Case((np.array([2.0, 1.0, 0.0]),), {"T": 1.0, "top_p": 0.6, "u": 0.9}),
        Case((np.array([2.0, 1.0, 0.0]),), {"T": 0.5, "u": 0.85}),
        # temperature first, then top-p: at T = 2 two words survive p = 0.6, renormalized to [0.62, 0.38, 0]
        Case((np.array([2, 1, 0]),), {"T": 2, "top_p": 0.6, "u": 0.55}),
        Case((np.array([2.0, 1.0, 0.0]),), {"T": 2.0, "top_p": 0.6, "u": 0.7}),
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
        # a fixed stream on which both T and top_p change the words: none of them may be ignored
        Case((MODEL, PROMPT, 4), {"T": 2.0, "top_p": 0.6, "rng": Rng(0)}),
        Case((MODEL, prompt, 5), {"T": 1.3, "top_p": 0.9, "rng": _seed(rng)}),
        Case((MODEL, prompt, 3), {"T": 0.8, "top_p": 0.7, "rng": _seed(rng)}),
    ]


def _named(mistakes, got, reason):
    """The explanation of the first (explanation, wrong formula) whose result the student's equals, else reason."""
    for why, wrong in mistakes:
        if same_result(quietly(wrong), got):
            return why if isinstance(why, Mistake) else mistake(slug(why), why)
    return reason


def compare_temperature(expected, got, case):
    reason = compare_default(expected, got, case)
    logits, T = case.args
    if reason and isinstance(got, np.ndarray) and got.shape == expected.shape:
        if got.dtype.kind in "iu":
            return ("an integer array (np.zeros_like of integer logits?) truncates the probabilities; "
                    "compute in floats, np.asarray(logits, dtype=float)")
        if got.dtype.kind == "f" and not np.isfinite(got).all():
            return reason + ": NaN or inf in the result; subtract the largest logit before exp"
        after = sampling.apply_temperature(logits, 1.0) / T  # softmax first, then divided by T
        if got.dtype.kind == "f" and (np.allclose(got, after)
                                      or np.allclose(got, sampling.apply_temperature(np.log(after + 1e-300), T))):
            return reason + ": the temperature was applied after the softmax; divide the logits by T first"
        clipped = [(f"that is the result at T = {floor:g}; use T as given, a small T only sharpens",
                    lambda floor=floor: sampling.apply_temperature(logits, floor))
                   for floor in (0.1, 0.01) if T < floor]
        return _named(clipped, got, reason)
    return reason


def compare_top_p(expected, got, case):
    reason = compare_default(expected, got, case)
    if not reason or not isinstance(got, np.ndarray) or got.shape != expected.shape:
        return reason
    n_got, n_expected = int(np.count_nonzero(got)), int(np.count_nonzero(expected))
    if n_got < n_expected and case.args[1] == 1:
        return mistake("p-1-clipped",
                       f"kept {n_got} of {n_expected} tokens at p = 1: p = 1 keeps every word, don't clip p below 1")
    if n_got < n_expected:
        return mistake("drops-boundary-token", f"kept {n_got} token{'s' * (n_got != 1)}, expected {n_expected}: "
                       "the boundary token whose mass reaches p must be kept")
    if n_got > n_expected:
        return mistake("keeps-too-many",
                       f"kept {n_got} tokens, expected {n_expected}: "
                       "stop at the first token whose running total reaches p")
    if not np.array_equal(got != 0, expected != 0):
        return mistake("wrong-tokens-kept",
                       "kept the wrong tokens: rank by probability, highest first (ties to the lower index)")
    if not np.isclose(got.sum(), 1.0):
        return mistake("not-renormalized",
                       f"the kept probabilities sum to {got.sum():.4g}: renormalize them to sum to 1")
    return reason


def compare_greedy(expected, got, case):
    reason = compare_default(expected, got, case)
    (logits,) = case.args
    logits = np.asarray(logits, dtype=float)
    if not reason or not isinstance(got, int):
        return reason
    if 0 <= got < logits.size and logits[got] == logits[expected]:
        return mistake("tie-not-lowest-index",
                       "a tie; return the lowest index of the largest logit (np.argmax gives the first)")
    finite = np.flatnonzero(np.isfinite(logits))
    if 0 <= got < finite.size and finite[got] == expected:
        return mistake("index-among-finite", "that is the index among the finite logits; count the -inf entries too")
    if 0 <= got < logits.size and np.floor(logits[got]) == np.floor(logits[expected]):
        return mistake("compared-as-integers",
                       f"{logits[got]:g} and {logits[expected]:g} only tie as integers; compare the floats")
    return reason


def compare_sample(expected, got, case):
    reason = compare_default(expected, got, case)
    probs, u = case.args
    total = np.cumsum(probs)
    if not reason or not isinstance(got, int):
        return reason
    if u >= total[-1]:
        return mistake("no-rounding-fallback", f"u = {float(u)!r} is not below the rounded total cumsum[-1] = "
                       f"{float(total[-1])!r}, so no i has u < cumsum[i]; "
                       "return the last index with nonzero probability")
    if 0 <= got < len(probs) and got < expected and np.isclose(total[got], u):
        return mistake("u-at-most-cumsum",
                       reason + ": u equals the running total at that index; use u < cumsum[i] (strict), not <=")
    return reason


def compare_next_token(expected, got, case):
    reason = compare_default(expected, got, case)
    (logits,) = case.args
    T, top_p, u = arguments(case, "T", "top_p", "u", T=1.0, top_p=1.0, u=None)
    if not reason or not isinstance(got, int):
        return reason
    if T == 0:
        return mistake("t0-not-greedy",
                       "T == 0 is greedy, the index of the largest logit (lowest on ties), with no draw")
    if u is None:
        return reason
    probs = sampling.apply_temperature(logits, T)
    unnormalized = np.where(sampling.top_p_filter(probs, top_p) > 0, probs, 0.0)
    nucleus_first = sampling.top_p_filter(sampling.apply_temperature(logits, 1.0), top_p) ** (1 / T)
    mistakes = [
        (f"that is the draw at T = {floor:g}; use T as given, a small T only sharpens",
         lambda floor=floor: sampling.next_token(logits, floor, top_p, u=u)) for floor in (0.1, 0.01) if T < floor
    ] + [
        ("the draw ran over the kept words' own mass; renormalize them to sum 1 before the draw",
         lambda: int(np.argmax(u < np.cumsum(unnormalized))) if u < unnormalized.sum() else None),
        ("top-p was applied before the temperature; divide the logits by T first, then filter",
         lambda: sampling.sample_index(nucleus_first / nucleus_first.sum(), u)),
        ("that is the draw without top-p; filter the probabilities with top_p before the draw",
         lambda: sampling.sample_index(probs, u)),
    ]
    return _named(mistakes, got, reason)


def compare_generate(expected, got, case):
    reason = compare_default(expected, got, case)
    model, ids, n = case.args
    T, top_p, seeded = arguments(case, "T", "top_p", "rng", T=1.0, top_p=1.0, rng=None)
    if not reason or not isinstance(got, list):
        return reason

    def again(T, top_p):
        return sampling.generate(model, ids, n, T, top_p, rng=np.random.default_rng(seeded.seed))

    mistakes = [("that is only the n new ids; return the prompt followed by them",
                 lambda: expected[len(ids):])]
    if isinstance(seeded, Rng) and T > 0:
        mistakes += [
            ("the same words as with top_p = 1; filter each word's distribution with top_p",
             lambda: again(T, 1.0) if top_p < 1 else None),
            ("the same words as at T = 1; divide each word's logits by T",
             lambda: again(1.0, top_p) if T != 1 else None),
        ]
    return _named(mistakes, got, reason)


SPECS = [
    Spec("apply_temperature", sampling.apply_temperature, temperature_cases, compare=compare_temperature,
         hint="softmax(logits / T): divide by T before the softmax, and subtract the max logit before exp"),
    Spec("top_p_filter", sampling.top_p_filter, top_p_cases, compare=compare_top_p,
         hint="rank by probability, keep words until the running total is >= p (that word included), "
              "zero the rest, renormalize"),
    Spec("greedy", sampling.greedy, greedy_cases, compare=compare_greedy,
         hint="the index of the largest logit as an int, lowest on ties"),
    Spec("sample_index", sampling.sample_index, sample_cases, compare=compare_sample,
         hint="the first i with u < cumsum(probs)[i] (strictly less), as an int"),
    Spec("next_token", sampling.next_token, next_token_cases, compare=compare_next_token,
         hint="T == 0 is greedy; else softmax(logits / T), then top-p, then the draw with u "
              "(exactly one rng.random() when u is None)"),
    Spec("generate", sampling.generate, generate_cases, compare=compare_generate,
         hint="the prompt ids then n new ones, each from next_token on forward(model, ids so far), "
              "one rng for the whole loop and one rng.random() per sampled word"),
]
