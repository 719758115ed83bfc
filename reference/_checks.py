"""Argument validation shared by the reference modules.

Every check raises ``ValueError`` with a message a student can act on: it names the argument, says what was
expected and shows what arrived. The math lives in the modules; these helpers only say yes or no (and hand back
the argument converted to float64, an int, ...).
"""

import numbers

import numpy as np

# how far a probability vector's sum may drift from 1 (rounding in a student's or a filter's renormalization)
PROB_SUM_TOL = 1e-6


def _describe(x):
    """A short picture of what arrived: the value for a scalar, the shape for an array."""
    if isinstance(x, np.ndarray) and x.ndim > 0:
        return f"an array of shape {x.shape}"
    if isinstance(x, (np.ndarray, np.generic)):
        x = x.item()  # 1.5, not np.float64(1.5)
    return repr(x)


def _first(mask):
    """The index of the first True entry, as a readable tuple (or nothing for a 0-d mask)."""
    idx = tuple(int(i) for i in np.argwhere(mask)[0])
    return f" at index {idx}" if idx else ""


def array(x, name, *, ndim=None, min_ndim=0, inf="none", nonempty=False):
    """``x`` as a float64 array, after checking it is numeric, NaN-free and of the right rank.

    inf : "none" (finite only), "neg" (-inf allowed, as in masked logits) or "any" (either infinity allowed).
    """
    raw = np.asarray(x)
    if raw.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold real numbers; got dtype {raw.dtype} ({_describe(raw)})")
    a = raw.astype(np.float64, copy=False)
    if ndim is not None and a.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D; got {a.ndim}-D ({_describe(a)})")
    if a.ndim < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} axes; got {a.ndim}-D ({_describe(a)})")
    if nonempty and a.size == 0:
        raise ValueError(f"{name} must not be empty; got {_describe(a)}")
    bad = ~np.isfinite(a)
    if bad.any():
        nan = np.isnan(a)
        if nan.any():
            raise ValueError(f"{name} must not contain NaN; got NaN{_first(nan)}")
        if inf == "neg":
            pos = np.isposinf(a)
            if pos.any():
                raise ValueError(f"{name} must be finite or -inf; got +inf{_first(pos)}")
        elif inf == "none":
            raise ValueError(f"{name} must be finite; got {_describe(a[bad].flat[0])}{_first(bad)}")
    return a


def real(x, name):
    """A finite real number, as a float."""
    if isinstance(x, np.ndarray) and x.ndim == 0:
        x = x[()]
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, numbers.Real):
        raise ValueError(f"{name} must be a real number; got {_describe(x)}")
    if not np.isfinite(x):
        raise ValueError(f"{name} must be finite; got {_describe(x)}")
    return float(x)


def positive(x, name):
    """A finite number > 0 (a learning rate, beta, a temperature), as a float."""
    x = real(x, name)
    if x <= 0:
        raise ValueError(f"{name} must be > 0; got {_describe(x)}")
    return x


def interval(x, name, lo, hi, *, closed_lo, closed_hi):
    """A finite number inside the interval from lo to hi, as a float."""
    x = real(x, name)
    above = x >= lo if closed_lo else x > lo
    below = x <= hi if closed_hi else x < hi
    if not (above and below):
        text = f"{'[' if closed_lo else '('}{lo}, {hi}{']' if closed_hi else ')'}"
        raise ValueError(f"{name} must be in {text}; got {_describe(x)}")
    return x


def integer(x, name, minimum=0):
    """A whole number >= minimum (a count, a length, a number of heads), as an int."""
    if isinstance(x, np.ndarray) and x.ndim == 0:
        x = x[()]
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, numbers.Integral):
        raise ValueError(f"{name} must be an integer >= {minimum}; got {_describe(x)}")
    if x < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {_describe(x)}")
    return int(x)


def index(i, name, n):
    """A single id in range(n), as an int."""
    if isinstance(i, (bool, np.bool_)) or not isinstance(i, numbers.Integral) or not 0 <= i < n:
        raise ValueError(f"{name} must be an integer in [0, {n}); got {_describe(i)}")
    return int(i)


def ids(x, name, n, *, ndim=None):
    """Token ids, each an integer in range(n) (the vocabulary), as an int array."""
    raw = np.asarray(x)
    if raw.size == 0:
        raw = raw.astype(np.intp)  # an empty list arrives as float64
    if raw.dtype.kind not in "iu":
        raise ValueError(f"{name} must hold integer token ids; got dtype {raw.dtype} ({_describe(raw)})")
    if ndim is not None and raw.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D; got {raw.ndim}-D ({_describe(raw)})")
    out = (raw < 0) | (raw >= n)
    if out.any():
        raise ValueError(
            f"{name} must be token ids in [0, {n}) (the vocabulary); got {_describe(raw[out].flat[0])}{_first(out)}"
        )
    return raw.astype(np.intp, copy=False)


def same_shape(a, b, name_a, name_b):
    """Two arrays of the same shape."""
    if a.shape != b.shape:
        raise ValueError(f"{name_a} and {name_b} must have the same shape; got {a.shape} and {b.shape}")


def pair(a, b, name_a, name_b, ndim=None):
    """Two same-shaped, non-empty, finite arrays (inputs and targets, predictions and targets), as float64."""
    a = array(a, name_a, ndim=ndim, nonempty=True)
    b = array(b, name_b, ndim=ndim, nonempty=True)
    same_shape(a, b, name_a, name_b)
    return a, b


def probabilities(x, name):
    """A probability vector: 1-D, non-negative entries summing to 1 (within PROB_SUM_TOL), as float64."""
    p = array(x, name, ndim=1, nonempty=True)
    neg = p < 0
    if neg.any():
        raise ValueError(f"{name} must be non-negative probabilities; got {_describe(p[neg][0])}{_first(neg)}")
    if abs(p.sum() - 1) > PROB_SUM_TOL:
        raise ValueError(f"{name} must sum to 1; got a sum of {_describe(p.sum())}")
    return p


def choice(x, name, options):
    """One of a fixed set of options (an activation's name, ...)."""
    if x not in options:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}; got {_describe(x)}")
    return x


def elementwise_result(a):
    """An elementwise result: the array itself, or a float64 scalar when the input was 0-d."""
    return a[()] if a.ndim == 0 else a
