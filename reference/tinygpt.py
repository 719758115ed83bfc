"""The tiny model that rungs 5-7 run: its vocabulary, its weights, and the words <-> ids conversion.

The weights live in ``tinygpt.json`` beside this file, written by ``scripts/fit_tinygpt.py``: greedy generation
of 4 words from "a fluffy blue creature" gives "roamed the forest .", with P(roamed) about 0.80.
``reference.block.forward(MODEL, ids)`` runs it.
"""

import json
from pathlib import Path

import numpy as np

from reference import _checks as check

_DATA = json.loads((Path(__file__).parent / "tinygpt.json").read_text())

VOCAB = list(_DATA["VOCAB"])
# float64 arrays E (V, 3), W1 (3, 6), b1 (6,), W2 (6, 3), b2 (3,); read-only, since every importer shares them
MODEL = {name: np.array(W, dtype=np.float64) for name, W in _DATA["MODEL"].items()}
for _W in MODEL.values():
    _W.setflags(write=False)

_ID = {word: i for i, word in enumerate(VOCAB)}


def encode(text):
    """The token ids of a text: split on whitespace, one id per word (its index in VOCAB).

    Parameters
    ----------
    text : str

    Returns
    -------
    ids : list of int
    """
    if not isinstance(text, str):
        raise ValueError(f"text must be a string of words; got {type(text).__name__}")
    words = text.split()
    unknown = [word for word in words if word not in _ID]
    if unknown:
        raise ValueError(
            f"text must use only words of the vocabulary {VOCAB}; got the unknown word {unknown[0]!r}"
        )
    return [_ID[word] for word in words]


def decode(ids):
    """The text of a sequence of token ids: their words joined by single spaces.

    Parameters
    ----------
    ids : sequence of ints, each in ``[0, len(VOCAB))``

    Returns
    -------
    text : str
    """
    ids = check.ids(ids, "ids", len(VOCAB), ndim=1)
    return " ".join(VOCAB[i] for i in ids)
