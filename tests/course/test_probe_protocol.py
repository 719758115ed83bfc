"""The probe protocol on its own: the wire encoding, the student's report, and the grader's verdicts."""

import json

import re

import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from autograder.student import wire
from autograder.student.probe import encode_outputs, report, run_cases
from autograder.judge import FAILURE, ProbeStage, draw_cases, verdict_for
from reference import line, sampling


def test_wire_round_trip_keeps_types_and_values():
    value = {"a": (np.arange(6.0).reshape(2, 3), [1, np.nan, -np.inf], True, None, "x"),
             "b": np.array([1, 2], dtype=np.int32), "c": np.float64(2.5), "d": np.int64(3)}
    back = wire.loads(wire.dumps(value))
    assert isinstance(back["a"], tuple) and back["a"][0].shape == (2, 3) and back["a"][0].dtype == np.float64
    assert np.isnan(back["a"][1][1]) and back["a"][1][2] == -np.inf
    assert back["b"].dtype == np.int32 and back["c"] == 2.5 and type(back["d"]) is int


def test_each_case_gets_fresh_inputs_that_an_in_place_edit_cannot_reach():
    same = {"args": [np.array([1.0, 2.0]), [3.0]], "kwargs": {}}
    text = json.dumps({"name": "f", "cases": [wire.encode(same)] * 3})

    def edits_its_inputs(x, items):
        seen = (x.tolist(), list(items))
        x *= 10
        items.append(0.0)
        return seen

    outputs = run_cases(edits_its_inputs, text)
    assert [out["ok"] for out in outputs] == [([1.0, 2.0], [3.0])] * 3


def test_rng_decodes_to_a_fresh_seeded_generator():
    text = wire.dumps({"rng": wire.Rng(5)})
    first, second = wire.loads(text)["rng"].random(), wire.loads(text)["rng"].random()
    assert first == second == np.random.default_rng(5).random()


@pytest.mark.parametrize("value", [object(), np.array(["a"]), {1: 2}, lambda: 0, {1.0}])
def test_unsupported_values_are_marked_never_passed(value):
    assert "__unsupported__" in json.dumps(wire.encode(value))


@pytest.mark.parametrize("text", ['{"__ndarray__": {"dtype": "float64", "shape": [3], "data": [1]}}',
                                  '{"__ndarray__": {"dtype": "object", "shape": [1], "data": [1]}}',
                                  '{"__evil__": 1}', "not json", '{"__rng__": "seed"}'])
def test_malformed_payloads_raise(text):
    with pytest.raises(wire.WireError):
        wire.loads(text)


def test_size_limit():
    with pytest.raises(wire.WireError):
        wire.loads("[" + "0," * 100 + "0]", limit=50)


def test_same_seed_draws_same_cases_fresh_seed_differs():
    _, _, a = draw_cases("mse", 11)
    _, _, b = draw_cases("mse", 11)
    _, _, c = draw_cases("mse", 12)
    assert a == b and a != c


def _verdict(name, fn, seed=3):
    spec, cases, text = draw_cases(name, seed)
    return verdict_for(spec, cases, text, wire.loads(encode_outputs(name, run_cases(fn, text))), seed)


def test_reference_passes_and_message_names_the_seed():
    passed, message = _verdict("top_p_filter", sampling.top_p_filter)
    assert passed and message.startswith("top_p_filter: ") and "(seed 3)" in message


def test_boundary_token_message():
    def drops_boundary(probs, p):
        order = np.argsort(-probs, kind="stable")
        n = max(int(np.sum(np.cumsum(probs[order]) < p)), 1)
        kept = np.zeros_like(probs)
        kept[order[:n]] = probs[order[:n]]
        return kept / kept.sum()

    passed, message = _verdict("top_p_filter", drops_boundary)
    assert not passed
    # the diagnosis first, then the case that shows it
    assert message.startswith("top_p_filter: kept 1 token, expected 2: the boundary token whose mass reaches p must "
                              "be kept")
    assert "top_p_filter(probs=[0.5 0.3 0.2], p=0.6) returned [1. 0. 0.], expected" in message


def test_temperature_after_softmax_and_strict_inequality_messages():
    passed, message = _verdict("apply_temperature", lambda logits, T: sampling.apply_temperature(logits, 1.0) / T)
    assert not passed and "temperature was applied after the softmax" in message
    passed, message = _verdict("sample_index",
                               lambda probs, u: int(np.searchsorted(np.cumsum(probs), u, side="left")))
    assert not passed and "u < cumsum[i] (strict), not <=" in message


@pytest.mark.parametrize("fn, words", [
    (lambda w, b, x: "nope", "a str"),
    (lambda w, b, x: object(), "not something the grader can read"),
    (lambda w, b, x: 1 / 0, "ZeroDivisionError"),
    (lambda w, b, x: np.zeros(7), "shape"),
])
def test_wrong_types_errors_and_shapes_fail(fn, words):
    passed, message = _verdict("predict", fn)
    assert not passed and words in message and message.startswith(("predict: ", "predict raised"))


def _probe_notebook(name):
    cell = new_code_cell(f'probe("{name}", {name})', metadata={"nbgrader": {
        "grade": True, "grade_id": f"test_{name}", "locked": True, "points": 1, "schema_version": 3,
        "solution": False, "task": False}})
    return new_notebook(cells=[cell])


def test_stage_judges_a_report_and_drops_printed_output(tmp_path):
    nb = _probe_notebook("mse")
    stage = ProbeStage(seed=21)
    env = stage.before_execute(nb, tmp_path)
    assert env == {"L2W_PROBE_DIR": str(tmp_path), "L2W_PROBE_SEED": "21"}
    report("mse", line.mse, tmp_path)  # what the student's process does, here with the reference itself
    nb.cells[0].outputs = [new_output("stream", name="stdout", text="mse: 100/100 cases match\n")]
    (verdict,) = stage.after_execute(nb, tmp_path)
    assert verdict.passed and re.fullmatch(r"mse: (\d+)/\1 cases match the reference \(seed 21\)\n",
                                           nb.cells[0].outputs[0].text)


@pytest.mark.parametrize("results", [None, "{broken", '{"name": "mse", "outputs": []}',
                                     '{"name": "predict", "outputs": [{"ok": 1.0}]}',
                                     '{"name": "mse", "outputs": [{"maybe": 1}, {"ok": 1}, {"ok": 1}, {"ok": 1}]}'])
def test_missing_or_malformed_results_fail(tmp_path, results):
    nb = _probe_notebook("mse")
    stage = ProbeStage(seed=4)
    stage.before_execute(nb, tmp_path)
    if results is not None:
        (tmp_path / "results" / "mse.json").write_text(results)
    (verdict,) = stage.after_execute(nb, tmp_path)
    assert not verdict.passed and verdict.message.startswith("mse")
    assert nb.cells[0].outputs[0].output_type == "error" and nb.cells[0].outputs[0].ename == FAILURE


def test_a_cell_that_already_failed_keeps_its_error(tmp_path):
    nb = _probe_notebook("mse")
    stage = ProbeStage(seed=4)
    stage.before_execute(nb, tmp_path)
    nb.cells[0].outputs = [new_output("error", ename="AssertionError", evalue="visible", traceback=[])]
    (verdict,) = stage.after_execute(nb, tmp_path)
    assert verdict.skipped and not verdict.passed and nb.cells[0].outputs[0].ename == "AssertionError"


def test_fallback_without_grader_raises_the_same_message(monkeypatch):
    from autograder.student.probe import probe

    monkeypatch.delenv("L2W_PROBE_DIR", raising=False)
    probe("mse", line.mse)
    with pytest.raises(AssertionError, match=r"^mse: a sum, not a mean.* — mse\(y_hat=\[1. 2.\], y=\[2. 4.\]\) returned 5, expected 2.5"):
        probe("mse", lambda y_hat, y: float(np.sum((y_hat - y) ** 2)))
