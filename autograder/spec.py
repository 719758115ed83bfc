"""What a hidden test checks: the cases to draw (`Case`, `Spec`), how to compare, and the student's message.

A spec module (``autograder/specs/<rung>.py``) lists one `Spec` per graded function. The grader draws the cases
from its seed, the student's process reports what the student's function returned on them, and `judge` compares
that with the reference, here, in the grading process.
"""

import inspect
import re
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from autograder.student import wire
from autograder.student.wire import Rng, Unsupported

__all__ = ["Case", "Spec", "Rng", "Mistake", "mistake", "label_of", "slug", "judge", "compare_default",
           "compare_close", "compare_exact", "show", "same_result", "quietly", "naming_mistakes", "arguments", "parameters"]

RTOL, ATOL = 1e-6, 1e-9  # the default tolerance: float64 round-off, not a different formula
WRONG_OUTPUT = "wrong-output"  # the label of a failure no compare function named


class Mistake(str):
    """A compare's reason that names a known mistake: the student's text, and a short stable `label` for reports.

    A str, so every compare that returns plain text, and every caller that reads the text, keeps working.
    """

    label: str

    def __new__(cls, label: str, message: str):
        made = super().__new__(cls, message)
        made.label = label
        return made

    def __reduce__(self):  # copy and pickle rebuild it from both parts (str's own would pass the text alone)
        return Mistake, (self.label, str(self))


def mistake(label: str, message: str) -> Mistake:
    """What a compare returns to name its mistake: ``return mistake("drops-boundary-token", "kept 1 of 2 ...")``."""
    return Mistake(label, message)


def label_of(reason) -> str:
    """The label a failure carries, or the generic one."""
    return getattr(reason, "label", None) or WRONG_OUTPUT


def slug(text: str, words: int = 6) -> str:
    """A label from a mistake's explanation as written in its spec: its first clause, lowercase, hyphenated."""
    head = re.split(r"[:;(—]", str(text), maxsplit=1)[0]
    return "-".join(re.findall(r"[a-z0-9]+", head.lower())[:words]) or WRONG_OUTPUT


@dataclass(frozen=True)
class Case:
    """One call: ``fn(*args, **kwargs)``; `raises` names the exception the function must raise (e.g. ValueError)."""

    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    raises: type[BaseException] | None = None


@dataclass(frozen=True)
class Spec:
    """A graded function's hidden test.

    name      : the name `probe("name", fn)` uses, normally the function's name
    reference : the trusted implementation, called in the grading process
    cases     : rng -> list[Case], small readable cases first (the first failing one is shown to the student)
    hint      : what to check, in the student's terms, appended to every failure
    compare   : (expected, got, case) -> None for a match, else a short reason; default `compare_default`
    """

    name: str
    reference: Callable
    cases: Callable[[np.random.Generator], list[Case]]
    hint: str = ""
    compare: Callable[[Any, Any, Case], str | None] | None = None


@dataclass(frozen=True)
class Raised:
    """An exception that crossed the wire: its class name and message."""

    type_name: str
    message: str

    def __str__(self) -> str:
        return f"{self.type_name}: {self.message}" if self.message else self.type_name


def show(value, limit: int = 160) -> str:
    """A short, readable rendering of an argument or a result for a student's message."""
    if isinstance(value, np.ndarray):
        text = np.array2string(value, precision=4, suppress_small=True, threshold=24, max_line_width=10**6)
        text = " ".join(text.split())
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{k}: {_shape(v)}" for k, v in value.items()) + "}"
    elif isinstance(value, tuple):
        text = "(" + ", ".join(show(v, limit) for v in value) + ("," if len(value) == 1 else "") + ")"
    elif isinstance(value, float):
        text = f"{value:.6g}"
    elif isinstance(value, np.random.Generator):
        text = "a numpy Generator"
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _shape(v) -> str:
    return f"array of shape {v.shape}" if isinstance(v, np.ndarray) else show(v, 40)


def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _kind(x) -> str:
    if isinstance(x, Unsupported):
        return f"a {x.type_name} (not something the grader can read: return numbers or numpy arrays)"
    if isinstance(x, np.ndarray):
        return f"an array of shape {x.shape}"
    if isinstance(x, bool):
        return "a bool"
    if isinstance(x, int):
        return "an int"
    if isinstance(x, float):
        return "a float"
    if isinstance(x, tuple):
        return f"a tuple of {len(x)}"
    if isinstance(x, list):
        return f"a list of {len(x)}"
    return f"a {type(x).__name__}"


def compare_close(expected, got, rtol: float = RTOL, atol: float = ATOL) -> str | None:
    """Numbers and arrays: same kind and shape, then allclose (NaN matches NaN, inf matches inf)."""
    if isinstance(got, Unsupported):
        return f"returned {_kind(got)}"
    if isinstance(expected, np.ndarray):
        if isinstance(got, list) and all(_is_number(v) for v in np.ravel(np.array(got, dtype=object))):
            got = np.array(got, dtype=float)
        if not isinstance(got, np.ndarray):
            return f"returned {_kind(got)}, expected an array of shape {expected.shape}"
        if got.shape != expected.shape:
            return f"returned shape {got.shape}, expected shape {expected.shape}"
        if got.dtype.kind not in "biuf":
            return f"returned an array of dtype {got.dtype}, expected numbers"
        if not np.allclose(got.astype(float), expected.astype(float), rtol=rtol, atol=atol, equal_nan=True):
            return _first_difference(expected, got)
        return None
    if _is_number(expected) or isinstance(expected, np.floating):
        if isinstance(got, np.ndarray) and got.shape == () and got.dtype.kind in "biuf":
            got = got.item()
        if not _is_number(got):
            return f"returned {_kind(got)}, expected a number"
        if not np.allclose(float(got), float(expected), rtol=rtol, atol=atol, equal_nan=True):
            return "the value differs"
        return None
    return compare_exact(expected, got)


def _first_difference(expected: np.ndarray, got: np.ndarray) -> str:
    bad = ~np.isclose(got.astype(float), expected.astype(float), rtol=RTOL, atol=ATOL, equal_nan=True)
    index = tuple(int(i) for i in np.argwhere(bad)[0])
    where = f"[{', '.join(map(str, index))}]" if index else ""
    return f"{int(bad.sum())} of {bad.size} entries differ, first at {where}: {got[index]:.6g} vs {expected[index]:.6g}"


def compare_exact(expected, got) -> str | None:
    """Integers, strings, bools: equal type and value (an index 2.0 is not the index 2)."""
    if isinstance(got, Unsupported):
        return f"returned {_kind(got)}"
    if isinstance(expected, int) and not isinstance(expected, bool):
        if isinstance(got, np.ndarray) and got.shape == () and got.dtype.kind in "iu":
            got = got.item()
        if not isinstance(got, int) or isinstance(got, bool):
            return f"returned {_kind(got)}, expected an int"
    elif type(got) is not type(expected):
        return f"returned {_kind(got)}, expected {_kind(expected)}"
    return None if got == expected else "the value differs"


def compare_default(expected, got, case: Case | None = None) -> str | None:
    """Same structure, then `compare_close` on floats and arrays and `compare_exact` on the rest."""
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)):
            return f"returned {_kind(got)}, expected {_kind(expected)}"
        if len(got) != len(expected):
            return f"returned {len(got)} values, expected {len(expected)}"
        for i, (e, g) in enumerate(zip(expected, got)):
            reason = compare_default(e, g, case)
            if reason:
                return f"item {i}: {reason}"
        return None
    if isinstance(expected, (np.ndarray, float)):
        return compare_close(expected, got)
    return compare_exact(expected, got)


# ---- naming a mistake: the student's result equals what a known wrong formula gives on the same inputs ----


def same_result(wrong, got) -> bool:
    """True when the student's result equals `wrong` (same structure, allclose)."""
    return wrong is not None and compare_default(wrong, got) is None


def quietly(fn, *args):
    """A wrong formula's result, or None when it cannot even run on these inputs."""
    with np.errstate(all="ignore"):
        try:
            return fn(*args)
        except Exception:  # a wrong formula that crashes here is simply not the student's mistake
            return None


def naming_mistakes(mistakes):
    """A compare: the default check, then the first mistake of ``mistakes(case)`` whose result the student's equals.

    ``mistakes(case)`` yields ``(explanation, zero-argument function computing the wrong result)``; an explanation
    that is not already a `Mistake` is labelled with the `slug` of its first clause, so each named mistake has its
    own label without every spec spelling one out.
    """

    def compare(expected, got, case):
        reason = compare_default(expected, got, case)
        if reason is None:
            return None
        for why, wrong in mistakes(case):
            if same_result(quietly(wrong), got):
                return why if isinstance(why, Mistake) else Mistake(slug(why), why)
        return reason

    return compare


def arguments(case: Case, *names, **defaults) -> list:
    """The case's arguments by name (positional first, then keywords, then the defaults)."""
    values = dict(zip(names, case.args))
    values.update(case.kwargs)
    for name, default in defaults.items():
        values.setdefault(name, default)
    return [values[name] for name in names]


def parameters(*names, compare=compare_default):
    """A compare for a tuple of parameters (w, b, ...): `compare`, naming the parameter that is off."""

    def compare_params(expected, got, case):
        reason = compare(expected, got, case)
        if reason and reason.startswith("item "):
            index, rest = reason[len("item "):].split(": ", 1)
            return Mistake(label_of(reason), f"{names[int(index)]} is off ({rest})")
        return reason

    return compare_params


def call_text(name: str, reference: Callable, args: tuple, kwargs: dict) -> str:
    """``name(a=..., b=...)`` with the reference's parameter names, for the student's message."""
    try:
        bound = inspect.signature(reference).bind_partial(*args, **kwargs)
        parts = [f"{k}={show(v, 80)}" for k, v in bound.arguments.items()]
    except (TypeError, ValueError):
        parts = [show(a, 80) for a in args] + [f"{k}={show(v, 80)}" for k, v in kwargs.items()]
    return f"{name}({', '.join(parts)})"


def run_reference(spec: Spec, cases_text: str):
    """The reference's outcome on a fresh copy of each case: a value, or `Raised`."""
    outcomes = []
    for case in wire.loads(cases_text)["cases"]:
        try:
            # through the wire encoding like the student's answer, so both sides have the same types (np.int64 ->
            # int); the JSON text in between would change nothing
            outcomes.append(wire.decode(wire.encode(spec.reference(*case["args"], **case["kwargs"]))))
        except Exception as err:  # the reference raising is part of the contract (ValueError on bad input)
            outcomes.append(Raised(type(err).__name__, str(err)))
    return outcomes


def read_outputs(payload) -> list:
    """The student's outcomes from a decoded results payload: values or `Raised`; WireError if malformed."""
    outputs = payload.get("outputs") if isinstance(payload, dict) else None
    if not isinstance(outputs, list):
        raise wire.WireError("no list of outputs")
    outcomes = []
    for out in outputs:
        if isinstance(out, dict) and set(out) == {"ok"}:
            outcomes.append(out["ok"])
        elif isinstance(out, dict) and set(out) == {"error"} and isinstance(out["error"], str):
            type_name, _, message = out["error"].partition(": ")
            outcomes.append(Raised(type_name, message))
        else:
            raise wire.WireError("an output is neither {'ok': ...} nor {'error': ...}")
    return outcomes


def judge(spec: Spec, cases: list[Case], cases_text: str, outcomes: list) -> tuple[int, Mistake | None]:
    """(number of matching cases, message for the first failing case or None).

    The message is a `Mistake`: its label is the one the first failing case's reason carries.

    `cases` are the drawn cases (for the messages), `cases_text` their wire text (the reference gets its own fresh
    copy from it), `outcomes` what the student's process reported, in order.
    """
    if len(outcomes) != len(cases):
        return 0, Mistake("missing-results", f"{spec.name}: the grader got {len(outcomes)} results for "
                                             f"{len(cases)} cases — did the function run on every input?")
    expected_all = run_reference(spec, cases_text)
    compare = spec.compare or compare_default
    first, passed = None, 0
    for case, expected, got in zip(cases, expected_all, outcomes):
        reason = _reason(compare, expected, got, case)
        if reason is None:
            passed += 1
        elif first is None:
            first = _message(spec, case, expected, got, reason, cases)
    return passed, first


NOT_ATTEMPTED = "not-attempted"  # the function still raises the release's NotImplementedError


def _reason(compare, expected, got, case: Case) -> str | None:
    if isinstance(got, Raised) and got.type_name == "NotImplementedError":
        return Mistake(NOT_ATTEMPTED, f"raised {got}")
    if isinstance(expected, Raised):
        if isinstance(got, Raised):
            return None if got.type_name == expected.type_name else Mistake(
                "wrong-exception", f"raised {got}, expected a {expected.type_name}")
        return Mistake("no-error-raised", f"should raise {expected.type_name} for this input")
    if isinstance(got, Raised):
        return Mistake(f"raised-{got.type_name}", f"raised {got}")
    try:
        return compare(expected, got, case)
    except Exception as err:  # a compare helper tripping over an odd value is a mismatch, never a pass
        return Mistake("uncomparable", f"returned a value the grader could not compare ({type(err).__name__})")


ERROR_SHOWN = 120  # characters of the student's exception kept after the diagnosis: its gist, not a wall of text


def _message(spec: Spec, case: Case, expected, got, reason: str, cases: list[Case]) -> Mistake:
    """Diagnosis first (what went wrong, in the student's terms), then the failing case, then the hint."""
    call = call_text(spec.name, spec.reference, case.args, case.kwargs)
    if isinstance(got, Raised) and isinstance(expected, Raised):
        text = f"{spec.name}: {reason} — on {call}"
    elif isinstance(got, Raised):
        diagnosis = diagnose_error(spec, case, cases, got)
        if diagnosis:
            text = f"{spec.name}: {diagnosis} — {call} raised {show_error(got)}"
        else:
            text = f"{spec.name} raised {show_error(got)} — on {call}, expected {show(expected, 100)}"
    elif isinstance(expected, Raised):
        text = f"{spec.name}: {reason} — {call} returned {show(got, 100)}"
    else:
        text = f"{spec.name}: {reason} — {call} returned {show(got, 100)}, expected {show(expected, 100)}"
    if spec.hint:
        text += f". Check: {spec.hint}"
    return Mistake(label_of(reason), text)


def show_error(err: Raised) -> str:
    """The student's exception on one line, cut to its gist."""
    text = " ".join(str(err).split())
    return text if len(text) <= ERROR_SHOWN else text[: ERROR_SHOWN - 3] + "..."


# ---- an exception on a hidden case: say what was special about the case, and what that usually means ----


def named_arguments(spec: Spec, case: Case) -> dict:
    """{parameter name: value} of a case, with the reference's parameter names where they bind."""
    try:
        return dict(inspect.signature(spec.reference).bind_partial(*case.args, **case.kwargs).arguments)
    except (TypeError, ValueError):
        return {**{f"argument {i + 1}": a for i, a in enumerate(case.args)}, **case.kwargs}


def case_features(spec: Spec, case: Case) -> list[tuple[str, str, str]]:
    """(kind, argument name, description) of every notable trait of a case's arguments."""
    found = []
    for name, value in named_arguments(spec, case).items():
        if isinstance(value, np.ndarray):
            if value.ndim >= 3:
                found.append(("batch", name, f"a leading batch axis ({name} has shape {value.shape})"))
            elif value.ndim == 0:
                found.append(("scalar", name, f"a 0-d array input ({name} = {show(value, 30)})"))
            if value.size == 0:
                found.append(("empty", name, f"an empty input ({name} has shape {value.shape})"))
            elif value.size == 1 and value.ndim >= 1:
                found.append(("single", name, f"a length-1 input ({name} has shape {value.shape})"))
            if value.dtype.kind in "iu":
                found.append(("integer", name, f"integer entries ({name} has dtype {value.dtype})"))
            elif value.dtype.kind == "f" and np.isneginf(value).any():
                found.append(("neginf", name, f"-inf entries ({name} = {show(value, 60)})"))
        elif _is_number(value):
            found.append(("scalar", name, f"a plain number input ({name} = {value!r})"))
    return found


def special_features(spec: Spec, case: Case, cases: list[Case]) -> list[tuple[str, str, str]]:
    """The traits of `case` that fewer than half of the cases share: what sets this case apart."""
    common: dict[tuple[str, str], int] = {}
    for other in cases:
        for kind, name in {(k, n) for k, n, _ in case_features(spec, other)}:
            common[kind, name] = common.get((kind, name), 0) + 1
    return [f for f in case_features(spec, case) if 2 * common.get(f[:2], 0) < len(cases)]


ADVICE = {  # (feature kind, words in the error that point at it) -> what the student should change
    ("batch", ("matmul", "shape", "align", "broadcast", "dimension")):
        "transpose only the last two axes ({swap}), not {name}.T, and index from the end",
    ("integer", ("cast", "ufunc", "dtype", "integer")):
        "convert first (np.asarray({name}, dtype=float)) before dividing or updating in place",
    ("empty", ("zero-size", "empty", "index", "identity")):
        "an empty input must not be reduced or indexed into",
    ("single", ("index", "out of bounds", "size")):
        "a single entry is still an array: do not assume two or more",
    ("scalar", ("0-d", "unsized", "len()", "iteration", "index", "subscript")):
        "use np.asarray and elementwise operations, so that a single number works too",
    ("neginf", ("nan", "invalid", "inf")):
        "-inf must give 0 after exp: subtract the largest finite entry, not one that is -inf",
}


def diagnose_error(spec: Spec, case: Case, cases: list[Case], err: Raised) -> str | None:
    """"this case has <features>: <advice>" for an exception raised on a case out of the ordinary, else None."""
    features = special_features(spec, case, cases)
    if not features:
        return None
    text = f"{err.type_name}: {err.message}".lower()
    advice = None
    for kind, name, _ in features:
        for (wanted, words), what in ADVICE.items():
            if advice is None and kind == wanted and any(w in text for w in words):
                name = _transposed(spec, case, name) if kind == "batch" else name
                advice = what.format(name=name, swap=f"np.swapaxes({name}, -1, -2)")
    first_of_kind: dict[str, str] = {}  # one example per trait: Q's shape, not K's as well
    for kind, _, description in features:
        first_of_kind.setdefault(kind, description)
    described = " and ".join(list(first_of_kind.values())[:2])
    return f"this case has {described}" + (f": {advice}" if advice else f", and it raised {err.type_name}")


def _transposed(spec: Spec, case: Case, batched: str) -> str:
    """The matrix a transpose most likely goes wrong on: the keys K wherever there are keys, else the batched one."""
    return "K" if {"K", "W_K"} & set(named_arguments(spec, case)) else batched
