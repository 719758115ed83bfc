"""The wire encoding between the grader and the student's process (numpy + json only).

Both sides use it: the grader writes probe inputs with `dumps`, the student's process reads them with `loads`,
runs the function and writes the outputs back with `dumps`; the grader reads those with `loads(..., limit=...)`.

JSON with NaN and ±Infinity allowed. None, bool, int, float and str are themselves; lists are lists; dicts with
string keys are dicts; a tuple is ``{"__tuple__": [...]}``; a numeric or bool ndarray is
``{"__ndarray__": {"dtype": "float64", "shape": [...], "data": [flat]}}``; ``{"__rng__": seed}`` decodes to
``numpy.random.default_rng(seed)``. Anything else encodes as ``{"__unsupported__": "<type name>"}``, which the
grader reports as a wrong type, never as a pass. Nothing is ever pickled.
"""

import json
import math

import numpy as np

RESULTS_LIMIT = 8 * 1024 * 1024  # bytes: a bigger results file is a failure, not something to parse
MAX_DEPTH = 32  # nesting the grader accepts; deeper structures are malformed


class WireError(ValueError):
    """A payload that is not valid wire encoding (malformed, too big, too deep or an unknown tag)."""


class Rng:
    """A seeded random generator as the grader describes it: decodes to ``np.random.default_rng(seed)``."""

    def __init__(self, seed: int):
        self.seed = int(seed)

    def __repr__(self) -> str:
        return f"rng(seed={self.seed})"


class Unsupported:
    """A value the student's process could not encode: its type name, for the message."""

    def __init__(self, type_name: str):
        self.type_name = str(type_name)

    def __repr__(self) -> str:
        return f"<unsupported {self.type_name}>"


def _float(x: float):
    # JSON keeps NaN/inf as the bare tokens NaN/Infinity; plain floats stay floats
    return float(x)


def encode(value, depth: int = 0):
    """A JSON-ready structure for `value` (see the module docstring for the tags)."""
    if depth > MAX_DEPTH:
        return {"__unsupported__": "nesting too deep"}
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return _float(value)
    if isinstance(value, Rng):
        return {"__rng__": value.seed}
    if isinstance(value, Unsupported):
        return {"__unsupported__": value.type_name}
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            return {"__unsupported__": f"ndarray of dtype {value.dtype}"}
        flat = value.ravel().tolist()
        return {"__ndarray__": {"dtype": str(value.dtype), "shape": list(value.shape), "data": flat}}
    if type(value) is tuple:
        return {"__tuple__": [encode(v, depth + 1) for v in value]}
    if type(value) is list:
        return [encode(v, depth + 1) for v in value]
    if type(value) is dict and all(type(k) is str for k in value):
        return {k: encode(v, depth + 1) for k, v in value.items()}
    return {"__unsupported__": type(value).__name__}


def decode(obj, depth: int = 0):
    """The value a JSON-ready structure stands for; raises WireError on anything malformed."""
    if depth > MAX_DEPTH:
        raise WireError("nesting too deep")
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, list):
        return [decode(v, depth + 1) for v in obj]
    if not isinstance(obj, dict):
        raise WireError(f"unexpected JSON value of type {type(obj).__name__}")
    if len(obj) == 1:
        (tag, inner), = obj.items()
        if tag == "__tuple__":
            if not isinstance(inner, list):
                raise WireError("__tuple__ must hold a list")
            return tuple(decode(v, depth + 1) for v in inner)
        if tag == "__ndarray__":
            return _decode_ndarray(inner)
        if tag == "__rng__":
            if not isinstance(inner, int) or isinstance(inner, bool):
                raise WireError("__rng__ must hold an integer seed")
            return np.random.default_rng(inner)
        if tag == "__unsupported__":
            return Unsupported(inner)
    if any(k.startswith("__") and k.endswith("__") for k in obj):
        raise WireError(f"unknown tag in {sorted(obj)}")
    return {k: decode(v, depth + 1) for k, v in obj.items()}


def _decode_ndarray(inner) -> np.ndarray:
    if not isinstance(inner, dict) or set(inner) != {"dtype", "shape", "data"}:
        raise WireError("__ndarray__ needs dtype, shape and data")
    dtype = np.dtype(str(inner["dtype"])) if _safe_dtype(inner["dtype"]) else None
    if dtype is None:
        raise WireError(f"unsupported ndarray dtype {inner['dtype']!r}")
    shape, data = inner["shape"], inner["data"]
    if not (isinstance(shape, list) and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0
                                            for n in shape)):
        raise WireError("ndarray shape must be a list of non-negative integers")
    if not isinstance(data, list) or len(data) != math.prod(shape):
        raise WireError("ndarray data does not match its shape")
    # numpy reads the list in C: a flat list of numbers (JSON's ints, floats, true/false) gives a 1-d numeric
    # array; a string, null, nested list or out-of-range integer gives another dtype or shape, refused here
    try:
        flat = np.array(data)
    except (ValueError, OverflowError):
        raise WireError("ndarray data must be numbers") from None
    if flat.ndim != 1 or flat.dtype.kind not in "biuf":
        raise WireError("ndarray data must be numbers")
    return flat.astype(dtype, copy=False).reshape(shape)


def _safe_dtype(name) -> bool:
    try:
        return isinstance(name, str) and np.dtype(name).kind in "biuf"
    except TypeError:
        return False


def dumps(value) -> str:
    """The wire text of `value`."""
    return json.dumps(encode(value), allow_nan=True)


def parse(text, limit: int | None = None):
    """The plain JSON structure of wire text, tags not yet decoded; `limit` (bytes) bounds what is parsed."""
    if limit is not None and len(text) > limit:
        raise WireError(f"payload of {len(text)} bytes is over the {limit}-byte limit")
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as err:
        raise WireError(f"not valid JSON: {err}") from None


def loads(text, limit: int | None = None):
    """The value of wire text; `limit` (bytes) bounds what the grader is willing to parse."""
    obj = parse(text, limit)
    try:
        return decode(obj)
    except RecursionError:
        raise WireError("nesting too deep") from None
