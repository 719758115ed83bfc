"""Plausible wrong answers for 00_tokens: each must lose exactly its own function's points.

The training and encoding answers inline their merging loop (as the solutions do), so that a wrong merge_pair
elsewhere in the notebook cannot cost them points.
"""

from textwrap import dedent

# the right left-to-right, non-overlapping merge of `pair` into `new_id`, inside a loop body (8 spaces)
_MERGE = """
        out, k = [], 0
        while k < len(ids):
            if k + 1 < len(ids) and (ids[k], ids[k + 1]) == pair:
                out.append(new_id)
                k += 2
            else:
                out.append(ids[k])
                k += 1
        ids = out"""

_TRAIN = """def train_bpe(text, n_merges):
    ids = {start}
    merges = []
    for i in range(n_merges):
        counts = {{}}
        {count}
        {guard}
        {choose}
        {stop}
        new_id = {new_id}""" + _MERGE.replace("{", "{{").replace("}", "}}") + """
        merges.append(pair)
    return merges
"""

_ENCODE = """def bpe_encode(text, merges):
    rank = {{}}
    for i, pair in enumerate(merges):
        rank.setdefault(tuple(pair), i)
    ids = {start}
    while len(ids) >= 2:
        {choose}
        new_id = {new_id}""" + _MERGE.replace("{", "{{").replace("}", "}}") + """
    return ids
"""

_LOWEST = ('pair = min(set(zip(ids, ids[1:])), key=lambda p: rank.get(p, float("inf")))\n'
           "        if pair not in rank:\n            break")


def _train(choose="pair = max(counts, key=counts.get)", stop="if counts[pair] < 2:\n            break",
           count="for pair in zip(ids, ids[1:]):\n            counts[pair] = counts.get(pair, 0) + 1",
           start='list(text.encode("utf-8"))', new_id="256 + i", guard="if not counts:\n            break"):
    """train_bpe as the solution writes it, with one of its lines replaced (continuation lines at 8 spaces)."""
    return _TRAIN.format(choose=choose, stop=stop, count=count, start=start, new_id=new_id, guard=guard)


def _encode(choose=_LOWEST, start='list(text.encode("utf-8"))', new_id="256 + rank[pair]"):
    """bpe_encode as the solution writes it, with the choice of the pair, the start or the new ids replaced."""
    return _ENCODE.format(choose=choose, start=start, new_id=new_id)


def _merge_pair(while_="k < len(ids)", match="k + 1 < len(ids) and (ids[k], ids[k + 1]) == tuple(pair)"):
    """merge_pair as the solution writes it, with its loop condition or its test for a match replaced."""
    return (f"def merge_pair(ids, pair, new_id):\n    out, k = [], 0\n    while {while_}:\n        if {match}:\n"
            "            out.append(new_id)\n            k += 2\n        else:\n            out.append(ids[k])\n"
            "            k += 1\n    return out\n")


def _vocab(start="{i: bytes([i]) for i in range(256)}", store="table[256 + i] = table[a] + table[b]"):
    """vocab as the solution writes it, with its starting table or the line storing a merge replaced."""
    return (f"def vocab(merges):\n    table = {start}\n    for i, (a, b) in enumerate(merges):\n        {store}\n"
            "    return table\n")


def _decode(join):
    return ("def bpe_decode(ids, merges):\n    table = {i: bytes([i]) for i in range(256)}\n"
            "    for i, (a, b) in enumerate(merges):\n        table[256 + i] = table[a] + table[b]\n"
            f"    return {join}\n")


WRONG = {
    "pair_counts": [
        ("counts a pair again only after it ended (non-overlapping)", dedent("""
            def pair_counts(ids):
                counts, k = {}, 0
                while k < len(ids) - 1:
                    pair = (ids[k], ids[k + 1])
                    counts[pair] = counts.get(pair, 0) + 1
                    k += 2 if pair[0] == pair[1] else 1
                return counts
            """)),
        ("misses the last pair", dedent("""
            def pair_counts(ids):
                counts = {}
                for k in range(len(ids) - 2):
                    pair = (ids[k], ids[k + 1])
                    counts[pair] = counts.get(pair, 0) + 1
                return counts
            """)),
        ("pairs written the wrong way round", dedent("""
            def pair_counts(ids):
                counts = {}
                for x, y in zip(ids, ids[1:]):
                    counts[(y, x)] = counts.get((y, x), 0) + 1
                return counts
            """)),
        ("every pair counted once", "def pair_counts(ids):\n    return {pair: 1 for pair in zip(ids, ids[1:])}\n"),
        ("wraps around from the last id to the first", dedent("""
            def pair_counts(ids):
                counts = {}
                for pair in zip(ids, list(ids[1:]) + list(ids[:1])):
                    counts[pair] = counts.get(pair, 0) + 1
                return counts
            """)),
    ],
    "merge_pair": [
        ("overlapping: slides on by one after a match", dedent("""
            def merge_pair(ids, pair, new_id):
                out, k = [], 0
                while k < len(ids):
                    if k + 1 < len(ids) and (ids[k], ids[k + 1]) == tuple(pair):
                        out.append(new_id)
                    else:
                        out.append(ids[k])
                    k += 1
                return out
            """)),
        ("merges only the first occurrence", dedent("""
            def merge_pair(ids, pair, new_id):
                ids = list(ids)
                for k in range(len(ids) - 1):
                    if (ids[k], ids[k + 1]) == tuple(pair):
                        return ids[:k] + [new_id] + ids[k + 2:]
                return ids
            """)),
        ("drops an unmatched last id", _merge_pair(while_="k < len(ids) - 1", match="(ids[k], ids[k + 1]) == tuple(pair)")),
        ("scans from the right", dedent("""
            def merge_pair(ids, pair, new_id):
                out, k = [], len(ids) - 1
                while k >= 0:
                    if k >= 1 and (ids[k - 1], ids[k]) == tuple(pair):
                        out.append(new_id)
                        k -= 2
                    else:
                        out.append(ids[k])
                        k -= 1
                return out[::-1]
            """)),
        ("matches the pair in either order",
         _merge_pair(match="k + 1 < len(ids) and sorted((ids[k], ids[k + 1])) == sorted(pair)")),
    ],
    "train_bpe": [
        ("ties go to the later pair", _train(choose="pair = max(reversed(list(counts)), key=counts.get)")),
        ("ties go to the smallest pair", _train(choose="pair = max(sorted(counts), key=counts.get)")),
        ("never stops early", _train(stop="pass")),
        ("counts non-overlapping pairs", _train(count=(
            "k = 0\n        while k < len(ids) - 1:\n            pair = (ids[k], ids[k + 1])\n"
            "            counts[pair] = counts.get(pair, 0) + 1\n"
            "            k += 2 if pair[0] == pair[1] else 1"))),
        ("merge i creates id 255 + i", _train(new_id="255 + i")),
        ("characters instead of UTF-8 bytes", _train(start="[ord(ch) for ch in text]")),
        ("stops at pairs seen fewer than 3 times", _train(stop="if counts[pair] < 3:\n            break")),
        ("a text of fewer than two bytes has no pair: max() of nothing raises", _train(guard="pass")),
    ],
    "vocab": [
        ("the two pieces joined the wrong way round", _vocab(store="table[256 + i] = table[b] + table[a]")),
        ("merge i stored at 255 + i", _vocab(store="table[255 + i] = table[a] + table[b]")),
        ("only the merged ids, no single bytes", _vocab(
            start="{}", store="table[256 + i] = (table[a] if a >= 256 else bytes([a])) + (table[b] if b >= 256 else bytes([b]))")),
        ("str instead of bytes", _vocab(start="{i: chr(i) for i in range(256)}")),
        ("a merged id spelled as bytes([a, b]), as if both were bytes", _vocab(store="table[256 + i] = bytes([a, b])")),
    ],
    "bpe_encode": [
        ("merges the leftmost known pair first, one occurrence at a time", dedent("""
            def bpe_encode(text, merges):
                rank = {}
                for i, pair in enumerate(merges):
                    rank.setdefault(tuple(pair), i)
                ids = list(text.encode("utf-8"))
                k = 0
                while k < len(ids) - 1:
                    if (ids[k], ids[k + 1]) in rank:
                        ids[k:k + 2] = [256 + rank[(ids[k], ids[k + 1])]]
                        k = 0
                    else:
                        k += 1
                return ids
            """)),
        ("merges the most frequent known pair first", _encode(
            "counts = {}\n        for p in zip(ids, ids[1:]):\n            if p in rank:\n"
            "                counts[p] = counts.get(p, 0) + 1\n        if not counts:\n            break\n"
            "        pair = max(counts, key=counts.get)")),
        ("takes the present pair with the highest merge index (max for min)", _encode(
            "known = set(zip(ids, ids[1:])) & set(rank)\n        if not known:\n            break\n"
            "        pair = max(known, key=rank.get)")),
        ("merge i written as id 255 + i", _encode(new_id="255 + rank[pair]")),
        ("characters instead of UTF-8 bytes", _encode(start="[ord(ch) for ch in text]")),
    ],
    "bpe_decode": [
        ('strict decoding: no errors="replace"', _decode('b"".join(table[i] for i in ids).decode("utf-8")')),
        ("broken bytes dropped (errors='ignore')",
         _decode('b"".join(table[i] for i in ids).decode("utf-8", errors="ignore")')),
        ("decoded as Latin-1", _decode('b"".join(table[i] for i in ids).decode("latin-1")')),
        ("each token decoded on its own",
         _decode('"".join(table[i].decode("utf-8", errors="replace") for i in ids)')),
        ("merge i looked up at 255 + i", _decode('b"".join(table[i - 1 if i > 255 else i] for i in ids)'
                                                 '.decode("utf-8", errors="replace")')),
    ],
}
