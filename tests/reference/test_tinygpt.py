"""reference.tinygpt: the checked-in model keeps its promises (greedy rollout, P(roamed) about 0.80), recomputed
with the plain-loop forward pass of test_block, independent of reference.block; encode/decode and their errors."""

import math

import numpy as np
import pytest

from numcheck import raises_naming
from reference.block import forward
from reference.tinygpt import MODEL, VOCAB, decode, encode
from test_block import loop_forward

PROMPT = "a fluffy blue creature"


def loop_probs(ids):
    logits = loop_forward(MODEL, ids)
    top = max(logits)
    weights = [math.exp(z - top) for z in logits]
    return [w / sum(weights) for w in weights]


def test_model_shapes_and_dtype():
    V = len(VOCAB)
    assert len(set(VOCAB)) == V and 10 <= V <= 16
    shapes = {"E": (V, 3), "W1": (3, 6), "b1": (6,), "W2": (6, 3), "b2": (3,)}
    assert {name: W.shape for name, W in MODEL.items()} == shapes
    assert all(W.dtype == np.float64 for W in MODEL.values())


def test_greedy_rollout_of_four_words():
    ids = [VOCAB.index(word) for word in PROMPT.split()]
    for _ in range(4):
        probs = loop_probs(ids)
        ids.append(probs.index(max(probs)))
    assert " ".join(VOCAB[i] for i in ids) == "a fluffy blue creature roamed the forest ."


def test_p_roamed_about_80_percent_with_plausible_alternatives():
    probs = loop_probs([VOCAB.index(word) for word in PROMPT.split()])
    assert 0.75 <= probs[VOCAB.index("roamed")] <= 0.85
    # the rest is not all on one word: the two runners-up are "wandered" and "slept", each with a visible share
    runners_up = sorted(range(len(VOCAB)), key=lambda i: -probs[i])[1:3]
    assert {VOCAB[i] for i in runners_up} == {"wandered", "slept"}
    assert all(probs[i] > 0.02 for i in runners_up)


def test_reference_forward_agrees_on_the_model():
    ids = encode("a fluffy blue creature roamed the")
    assert np.allclose(forward(MODEL, ids), loop_forward(MODEL, ids), rtol=1e-12, atol=1e-12)


def test_encode_decode_round_trip():
    text = "a fluffy blue creature roamed the forest ."
    ids = encode(text)
    assert ids == [VOCAB.index(word) for word in text.split()]
    assert decode(ids) == text
    assert encode("  the \n forest\t.") == encode("the forest .")
    assert decode(list(range(len(VOCAB)))) == " ".join(VOCAB)
    assert encode("") == [] and decode([]) == ""


def test_encode_names_the_unknown_word():
    with pytest.raises(ValueError, match="'dragon'"):
        encode("a fluffy dragon")
    with raises_naming("text"):
        encode(["a", "fluffy"])


@pytest.mark.parametrize("ids", [[len(VOCAB)], [-1], [0.0], [[0, 1]]])
def test_decode_rejects_ids_outside_the_vocabulary(ids):
    with raises_naming("ids"):
        decode(ids)


def test_model_is_read_only():
    with pytest.raises(ValueError):
        MODEL["E"][0, 0] = 1.0
