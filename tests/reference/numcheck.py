"""Helpers shared by the reference tests: one relative-error measure, central differences, error-message checks,
and hypothesis strategies for the arrays the reference functions take.

(A plain module, imported by name: pytest puts this folder on sys.path. Not a package on purpose, since
``tests/reference`` as a package would shadow the ``reference`` package under test.)
"""

import re

import numpy as np
import pytest
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp


def rel_error(a, b):
    """Largest relative error between a and b, CS231n style: |a - b| / max(1e-8, |a| + |b|)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def numerical_gradient(loss, params, h=1e-6):
    """Central-difference gradient of loss(*params) with respect to each scalar parameter."""
    params = [float(p) for p in params]
    grad = []
    for i in range(len(params)):
        up, down = list(params), list(params)
        up[i] += h
        down[i] -= h
        grad.append((loss(*up) - loss(*down)) / (2 * h))
    return np.array(grad)


def raises_naming(name):
    """pytest.raises(ValueError) whose message names the argument ``name`` (as a whole word)."""
    return pytest.raises(ValueError, match=rf"(?<![\w]){re.escape(name)}(?![\w])")


def floats(lo=-10.0, hi=10.0):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def arrays(shape, lo=-10.0, hi=10.0):
    """float64 arrays of a given shape (or shape strategy) with entries in [lo, hi]."""
    return hnp.arrays(np.float64, shape, elements=floats(lo, hi))


def prob_vectors(min_size=1, max_size=8):
    """Probability vectors: small integer counts, normalized (so zeros and exact ties are common)."""
    counts = st.lists(st.integers(0, 9), min_size=min_size, max_size=max_size).filter(lambda c: sum(c) > 0)
    return counts.map(lambda c: np.array(c, float) / sum(c))
