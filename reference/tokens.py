"""Rung 0: text becomes token ids — byte-level byte-pair encoding (BPE).

text --UTF-8--> bytes, ids 0..255 --(merge i replaces a pair of ids with the new id 256 + i)--> token ids

Training finds the merges: again and again, the most frequent pair of neighbouring ids in the training text becomes
one new id. Encoding replays them on any text; decoding joins each id's bytes. Every text is made of bytes, so
every text encodes: a word the training text never had only splits into smaller pieces.

Ties and overlaps, as the course's contract fixes them:

- counting is overlapping: [1, 1, 1] has the pair (1, 1) twice, both for choosing a pair and for the stop rule;
- merging is left to right and non-overlapping: [1, 1, 1] with (1, 1) -> new_id gives [new_id, 1];
- between equally frequent pairs training takes the one whose first occurrence comes earliest;
- training stops early once no pair occurs twice (so "aaa" trains [(97, 97)] however many merges are asked for).
"""

import numbers

import numpy as np

N_BYTES = 256  # ids 0..255 are the bytes themselves; merge i creates id N_BYTES + i


def pair_counts(ids):
    """How often each pair of neighbouring ids occurs, overlapping: [1, 1, 1] has (1, 1) twice.

    Parameters
    ----------
    ids : sequence of int >= 0

    Returns
    -------
    counts : dict {(int, int): int}
        In the order of each pair's first occurrence (left to right).
    """
    return _pair_counts(_ids(ids, "ids"))


def _pair_counts(ids):
    counts = {}
    for pair in zip(ids, ids[1:]):  # every consecutive pair, each position once: overlapping
        counts[pair] = counts.get(pair, 0) + 1
    return counts


def merge_pair(ids, pair, new_id):
    """Every occurrence of `pair` replaced by `new_id`, left to right, non-overlapping: [1, 1, 1] -> [new_id, 1].

    Parameters
    ----------
    ids : sequence of int >= 0
    pair : tuple (int, int)
    new_id : int >= 0

    Returns
    -------
    ids : list of int
    """
    ids = _ids(ids, "ids")
    pair = _pair(pair, "pair")
    new_id = _id(new_id, "new_id")
    return _merge(ids, pair, new_id)


def _merge(ids, pair, new_id):
    out, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and ids[i] == pair[0] and ids[i + 1] == pair[1]:
            out.append(new_id)  # the pair is used up: its second id cannot start another match
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def train_bpe(text, n_merges):
    """The merges BPE learns from `text`: each step merges the most frequent pair of the current ids into a new id.

    Ties go to the pair whose first occurrence comes earliest; training stops early once no pair occurs twice
    (overlapping counts, so "aaa" trains [(97, 97)]).

    Parameters
    ----------
    text : str
    n_merges : int >= 0
        At most this many merges.

    Returns
    -------
    merges : list of (int, int)
        merges[i] is the pair that became id 256 + i.
    """
    text = _text(text)
    n_merges = _count(n_merges, "n_merges")
    ids = list(text.encode("utf-8"))
    merges = []
    while len(merges) < n_merges:
        counts = _pair_counts(ids)
        if not counts:
            break
        pair = max(counts, key=counts.get)  # max keeps the first of equal counts: the earliest first occurrence
        if counts[pair] < 2:
            break  # merging a pair seen once saves nothing on this text
        ids = _merge(ids, pair, N_BYTES + len(merges))
        merges.append(pair)
    return merges


def vocab(merges):
    """The bytes of every id: ids 0..255 are single bytes, id 256 + i is the bytes of merges[i]'s two ids joined.

    Parameters
    ----------
    merges : sequence of (int, int)
        merges[i] may only use ids below 256 + i (the bytes and the ids made by earlier merges).

    Returns
    -------
    vocab : dict {int: bytes}
        256 + len(merges) entries.
    """
    merges = _merges(merges)
    table = {i: bytes([i]) for i in range(N_BYTES)}
    for i, (a, b) in enumerate(merges):
        table[N_BYTES + i] = table[a] + table[b]
    return table


def bpe_encode(text, merges):
    """The token ids of `text`: its UTF-8 bytes, then repeatedly the present pair with the lowest merge index merged.

    That equals applying the merges one after another in training order.

    Parameters
    ----------
    text : str
    merges : sequence of (int, int)
        As `train_bpe` returns them.

    Returns
    -------
    ids : list of int
    """
    text = _text(text)
    merges = _merges(merges)
    rank = {}
    for i, pair in enumerate(merges):
        rank.setdefault(pair, i)  # a pair listed twice is merged at its first index; the later one never fires
    ids = list(text.encode("utf-8"))
    while len(ids) >= 2:
        pair = min(_pair_counts(ids), key=lambda p: rank.get(p, np.inf))  # the earliest-learned pair present
        if pair not in rank:
            break  # no pair left that a merge knows
        ids = _merge(ids, pair, N_BYTES + rank[pair])
    return ids


def bpe_decode(ids, merges):
    """The text of token ids: every id's bytes joined, decoded as UTF-8 with errors="replace".

    A sequence cut inside a multi-byte character decodes that character as U+FFFD instead of failing.

    Parameters
    ----------
    ids : sequence of int
        Each in [0, 256 + len(merges)).
    merges : sequence of (int, int)

    Returns
    -------
    text : str
    """
    table = vocab(merges)
    ids = _ids(ids, "ids", n=len(table))
    return b"".join(table[i] for i in ids).decode("utf-8", errors="replace")


# ---- validation: each helper names the argument, what was expected and what arrived ----


def _is_int(x):
    return isinstance(x, numbers.Integral) and not isinstance(x, (bool, np.bool_))


def _text(text):
    if isinstance(text, (bytes, bytearray)):
        raise ValueError(f"text must be a str; got {type(text).__name__} (decode it first: text.decode('utf-8'))")
    if not isinstance(text, str):
        raise ValueError(f"text must be a str; got {type(text).__name__}")
    return text


def _count(n, name):
    if not _is_int(n) or n < 0:
        raise ValueError(f"{name} must be an integer >= 0; got {n!r}")
    return int(n)


def _id(i, name, n=None):
    """One token id: an integer >= 0 (and < n, the vocabulary's size, when n is given), as an int."""
    if not _is_int(i) or i < 0 or (n is not None and i >= n):
        expected = f"in [0, {n}) (the vocabulary: 256 bytes and one id per merge)" if n is not None else ">= 0"
        raise ValueError(f"{name} must be an integer token id {expected}; got {i!r}")
    return int(i)


def _ids(ids, name, n=None):
    """A 1-D sequence of token ids (list, tuple or integer array), as a list of int."""
    if isinstance(ids, np.ndarray):
        if ids.ndim != 1 or (ids.size and ids.dtype.kind not in "iu"):
            raise ValueError(f"{name} must be a 1-D sequence of integer token ids; got an array of dtype "
                             f"{ids.dtype} and shape {ids.shape}")
        ids = ids.tolist()
    if not isinstance(ids, (list, tuple)):
        raise ValueError(f"{name} must be a list of integer token ids; got {type(ids).__name__}")
    return [_id(i, f"{name}[{k}]", n) for k, i in enumerate(ids)]


def _pair(pair, name):
    if not isinstance(pair, (tuple, list)) or len(pair) != 2:
        raise ValueError(f"{name} must be a pair of token ids (a, b); got {pair!r}")
    return _id(pair[0], f"{name}[0]"), _id(pair[1], f"{name}[1]")


def _merges(merges):
    """A list of merges, each a pair of ids that exist by then: merge i may use ids below 256 + i."""
    if not isinstance(merges, (list, tuple)):
        raise ValueError(f"merges must be a list of pairs (a, b); got {type(merges).__name__}")
    checked = []
    for i, pair in enumerate(merges):
        a, b = _pair(pair, f"merges[{i}]")
        for x in (a, b):
            if x >= N_BYTES + i:
                raise ValueError(f"merges[{i}] = {pair!r} refers to id {x}, which no earlier merge created "
                                 f"(merge {i} may only use ids below {N_BYTES + i})")
        checked.append((a, b))
    return checked
