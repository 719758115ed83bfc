"""The student's side of a hidden test: run a function on the grader's inputs and report what it returned.

A hidden test cell calls ``probe("top_p_filter", top_p_filter)``. Under the grader (``L2W_PROBE_DIR`` set) this
reads ``$L2W_PROBE_DIR/cases/<name>.json``, calls the function once per case on a fresh copy of the inputs, and
writes ``$L2W_PROBE_DIR/results/<name>.json``. It decides nothing: the grader compares, in its own process.

Without ``L2W_PROBE_DIR`` (a plain Jupyter kernel, e.g. ``nbgrader validate`` on a source notebook) it draws the
inputs itself, compares with the reference in this process and raises AssertionError with the same message —
convenient for instructors, not isolated.

Imports only numpy and the standard library (the fallback imports the grader's specs lazily).
"""

import json
import os
import secrets
from pathlib import Path

from autograder.student import wire

PROBE_DIR = "L2W_PROBE_DIR"
PROBE_SEED = "L2W_PROBE_SEED"


def probe(name: str, fn) -> None:
    """Report `fn`'s outputs on the grader's cases for spec `name` (see the module docstring)."""
    folder = os.environ.get(PROBE_DIR)
    if folder:
        report(name, fn, Path(folder))
    else:
        check_here(name, fn)


def run_cases(fn, cases_text: str) -> list[dict]:
    """``[{"ok": value} | {"error": "Type: message"}, ...]``, one per case, each on freshly decoded inputs."""
    raw = wire.parse(cases_text)["cases"]
    outputs = []
    for item in raw:
        # decoded per case from the parsed JSON, which the student never sees: every call gets fresh inputs, so an
        # in-place edit cannot leak into the next case (and the file is parsed once, not once per case)
        case = wire.decode(item)
        try:
            outputs.append({"ok": fn(*case["args"], **case["kwargs"])})
        except Exception as err:
            outputs.append({"error": f"{type(err).__name__}: {err}"[:500]})
    return outputs


def encode_outputs(name: str, outputs: list[dict]) -> str:
    """The results file's text; a value that cannot be encoded is reported as unsupported."""
    encoded = []
    for out in outputs:
        if "ok" in out:
            try:
                encoded.append({"ok": wire.encode(out["ok"])})
            except Exception:
                encoded.append({"ok": {"__unsupported__": type(out["ok"]).__name__}})
        else:
            encoded.append(out)
    return json.dumps({"name": name, "outputs": encoded}, allow_nan=True)


def report(name: str, fn, folder: Path) -> None:
    """Run `fn` on ``cases/<name>.json`` and write ``results/<name>.json`` under `folder`."""
    cases_text = (folder / "cases" / f"{name}.json").read_text()
    text = encode_outputs(name, run_cases(fn, cases_text))
    results = folder / "results"
    results.mkdir(parents=True, exist_ok=True)
    partial = results / f".{name}.json.part"
    partial.write_text(text)
    partial.replace(results / f"{name}.json")  # the grader sees a whole file or none


def check_here(name: str, fn) -> None:
    """Fallback without a grader: draw, run, compare here; AssertionError with the student's message."""
    from autograder.judge import draw_cases, verdict_for  # the grader's side: only outside real grading

    seed = int(os.environ.get(PROBE_SEED) or secrets.randbits(32))
    spec, cases, cases_text = draw_cases(name, seed)
    outcomes = wire.loads(encode_outputs(name, run_cases(fn, cases_text)))
    passed, message = verdict_for(spec, cases, cases_text, outcomes)
    if not passed:
        raise AssertionError(message)
    print(message)
