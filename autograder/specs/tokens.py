"""Hidden tests of rung 0 (00_tokens): pair_counts, merge_pair, train_bpe, vocab, bpe_encode, bpe_decode.

Two results cannot cross the wire as they are (its dicts have string keys, and it has no bytes), so the hidden
test cells report them in a plain form and the references here give the same form:
`pair_counts` as its list of ((a, b), count) items, `vocab` as its list of (id, list of the bytes' values) items, highest id first (the merged ids, which a message
should show, before the 256 single bytes).

Each compare checks the student's result against the reference first; on a mismatch it recomputes the likely
mistakes on the same inputs (the variants below) and, when the student's result is one of them, says which.
"""

from autograder.spec import Case, Spec, compare_default, quietly, same_result, show
from reference import tokens

# ---- the references, in the form the hidden test cells report ----


def pair_counts(ids):
    """reference.tokens.pair_counts as its items: [((a, b), count), ...] in order of first occurrence."""
    return list(tokens.pair_counts(ids).items())


def vocab(merges):
    """reference.tokens.vocab as its items, highest id first: [(id, [byte values]), ...]."""
    return [(i, list(piece)) for i, piece in sorted(tokens.vocab(merges).items(), reverse=True)]


# ---- the likely mistakes, written out so that a student's result can be recognized ----


def _counts_variant(ids, overlapping=True, last=True):
    """Pair counts that count a pair again only after its previous occurrence ended, as str.count does
    (overlapping=False: [1, 1, 1] has (1, 1) once), or that miss the last pair (last=False)."""
    counts, started = {}, {}
    for k in range(len(ids) - 1 if last else len(ids) - 2):
        pair = (ids[k], ids[k + 1])
        if overlapping or k - started.get(pair, -2) >= 2:
            counts[pair] = counts.get(pair, 0) + 1
            started[pair] = k
    return counts


def _merge_variant(ids, pair, new_id, skip=True, first_only=False, from_right=False, either=False):
    """merge_pair that slides on by one after a match (skip=False), stops after one, scans right to left, or
    matches (b, a) as well as (a, b) (either=True)."""
    ids = list(ids)[::-1] if from_right else list(ids)
    target = pair[::-1] if from_right else tuple(pair)
    matches = (target, target[::-1]) if either else (target,)
    out, k, merged = [], 0, False
    while k < len(ids):
        if k + 1 < len(ids) and (ids[k], ids[k + 1]) in matches and not (first_only and merged):
            out.append(new_id)
            merged = True
            k += 2 if skip else 1
        else:
            out.append(ids[k])
            k += 1
    return out[::-1] if from_right else out


def _train_variant(text, n_merges, tie="first", overlapping=True, stop=True, offset=256, chars=False):
    """train_bpe with one rule changed: ties ("last", "smallest"), counting, the stop rule, the new ids, the units."""
    ids = [ord(ch) for ch in text] if chars else list(text.encode("utf-8"))
    merges = []
    while len(merges) < n_merges:
        counts = _counts_variant(ids, overlapping)
        if not counts:
            break
        most = max(counts.values())
        tied = [p for p in counts if counts[p] == most]
        pair = {"first": tied[0], "last": tied[-1], "smallest": min(tied)}[tie]
        if stop and most < 2:
            break
        ids = tokens._merge(ids, pair, offset + len(merges))
        merges.append(pair)
    return merges


def _encode_variant(text, merges, rule="rank", offset=256, chars=False):
    """bpe_encode choosing by "rank" (right), the "newest" merge, the "leftmost" or the most "frequent" known pair."""
    ids = [ord(ch) for ch in text] if chars else list(text.encode("utf-8"))
    rank = {}
    for i, pair in enumerate(merges):
        rank.setdefault(tuple(pair), i)
    while True:
        counts = {p: n for p, n in tokens._pair_counts(ids).items() if p in rank}
        if not counts:
            return ids
        if rule == "leftmost":
            k = next(k for k in range(len(ids) - 1) if (ids[k], ids[k + 1]) in rank)
            ids = ids[:k] + [offset + rank[ids[k], ids[k + 1]]] + ids[k + 2:]
            continue
        choose = {"rank": lambda: min(counts, key=rank.get), "newest": lambda: max(counts, key=rank.get),
                  "frequent": lambda: max(counts, key=counts.get)}[rule]
        pair = choose()
        ids = tokens._merge(ids, pair, offset + rank[pair])


def _named(mistakes, got, reason):
    """The explanation of the first (explanation, wrong computation) whose result equals the student's, else reason."""
    for why, wrong in mistakes:
        if same_result(quietly(wrong), got):
            return why
    return reason


# ---- compares ----


def _as_counts(got):
    """The student's reported items as a dict {(a, b): count}, or a reason why they are not pair counts."""
    if not isinstance(got, list):
        return None, "return a dict {(a, b): count}"
    counts = {}
    for item in got:
        key, n = item if isinstance(item, tuple) and len(item) == 2 else (None, None)
        if not (isinstance(key, tuple) and len(key) == 2 and all(isinstance(x, int) for x in key)):
            return None, f"the keys must be pairs of ids (a, b) as tuples; got the key {show(key, 40)}"
        if not isinstance(n, int) or isinstance(n, bool):
            return None, f"the counts must be ints; got {show(n, 40)} for {key}"
        counts[key] = n
    return counts, None


def compare_pair_counts(expected, got, case):
    counts, reason = _as_counts(got)
    if reason:
        return reason
    want = dict(expected)
    if counts == want:
        return None  # the same counts, in any order
    (ids,) = case.args
    if counts == _counts_variant(ids, overlapping=False):
        return (f"counted non-overlapping pairs: in {ids} every position k starts a pair (ids[k], ids[k+1]), "
                "so [1, 1, 1] has (1, 1) twice")
    if counts == _counts_variant(ids, last=False):
        return "the last pair is missing: there are len(ids) - 1 pairs, the last one (ids[-2], ids[-1])"
    if counts == {(y, x): n for (x, y), n in want.items()}:
        return "the pairs are reversed: the pair at k is (ids[k], ids[k+1]), in that order"
    if counts == {p: 1 for p in want}:
        return "every pair is counted once: add 1 for each occurrence"
    extra = sorted(set(counts) - set(want))
    if extra:
        return f"{extra[0]} is not a pair of neighbours in ids"
    missing = sorted(set(want) - set(counts))
    if missing:
        return f"the pair {missing[0]} is missing (it occurs {want[missing[0]]} times)"
    wrong = next(p for p in want if counts[p] != want[p])
    return f"{wrong} occurs {want[wrong]} times, you counted {counts[wrong]}"


def compare_merge_pair(expected, got, case):
    reason = compare_default(expected, got, case)
    if not reason or not isinstance(got, list):
        return reason if reason is None or isinstance(got, list) else f"{reason}: return a list of ints"
    ids, pair, new_id = case.args
    return _named([
        ("merged overlapping pairs: after a match skip both ids of the pair, so [1, 1, 1] with (1, 1) gives "
         f"[{new_id}, 1]",
         lambda: _merge_variant(ids, pair, new_id, skip=False)),
        ("merged the pair in the other order too: (a, b) matches ids[k] == a and ids[k+1] == b only",
         lambda: _merge_variant(ids, pair, new_id, either=True)),
        ("merged from the right: go left to right, so [1, 1, 1] with (1, 1) gives [new_id, 1], not [1, new_id]",
         lambda: _merge_variant(ids, pair, new_id, from_right=True)),
        ("only the first occurrence was merged: replace every occurrence",
         lambda: _merge_variant(ids, pair, new_id, first_only=True)),
        ("the last id was dropped: after the loop, keep an id that did not start a pair",
         lambda: expected[:-1]),
    ], got, reason)


def compare_train_bpe(expected, got, case):
    reason = compare_default(expected, got, case)
    if not reason or not isinstance(got, list):
        return reason
    text, n_merges = case.args
    return _named([
        ("ties went to the smaller pair (or the later one): of equally frequent pairs take the one whose first "
         "occurrence comes earliest, whatever its ids",
         lambda: _train_variant(text, n_merges, tie="smallest")),
        ("ties went to the later pair: of equally frequent pairs take the one whose first occurrence comes first",
         lambda: _train_variant(text, n_merges, tie="last")),
        ("did not stop early: once no pair occurs twice, stop (merging a pair seen once saves nothing)",
         lambda: _train_variant(text, n_merges, stop=False)),
        ('counted pairs without overlap: count every position, so "aaa" has (97, 97) twice and trains [(97, 97)]',
         lambda: _train_variant(text, n_merges, overlapping=False)),
        ("merge i must create id 256 + i, not 255 + i (ids 0-255 are the bytes)",
         lambda: _train_variant(text, n_merges, offset=255)),
        ('worked on characters, not bytes: start from list(text.encode("utf-8"))',
         lambda: _train_variant(text, n_merges, chars=True)),
        (f"made {len(got)} merge{'s' * (len(got) != 1)}, expected {len(expected)}: keep merging while the most "
         "frequent pair occurs at least twice (up to n_merges)",
         lambda: expected[:len(got)] if len(got) < len(expected) else None),
    ], got, reason)


def _as_vocab(got):
    """The student's reported items as a dict {id: bytes}, or a reason why they are not a vocabulary."""
    if not isinstance(got, list) or not all(isinstance(x, tuple) and len(x) == 2 for x in got):
        return None, "return a dict {id: bytes}"
    table = {}
    for i, piece in got:
        if not isinstance(piece, list) or not all(isinstance(v, int) and 0 <= v < 256 for v in piece):
            return None, f"vocab[{show(i, 20)}] should be bytes (like b'ab' or bytes([i])); got {show(piece, 40)}"
        table[i] = bytes(piece)
    return table, None


def compare_vocab(expected, got, case):
    table, reason = _as_vocab(got)
    if reason:
        return reason
    want = {i: bytes(piece) for i, piece in expected}
    if table == want:
        return None
    (merges,) = case.args
    if not set(range(256)) <= set(table):
        return "ids 0-255 are missing: every byte is its own token, {i: bytes([i]) for i in range(256)}"
    swapped = {i: bytes([i]) for i in range(256)}
    for i, (a, b) in enumerate(merges):
        swapped[256 + i] = swapped[b] + swapped[a]
    if table == swapped:
        return "the bytes are joined in the wrong order: id 256 + i is vocab[a] + vocab[b] for merges[i] = (a, b)"
    if {i + 1: piece for i, piece in table.items() if i >= 255} == {i: p for i, p in want.items() if i >= 256}:
        return "merge i is id 256 + i, not 255 + i"
    if set(table) != set(want):
        extra, missing = sorted(set(table) - set(want)), sorted(set(want) - set(table))
        return f"id {missing[0]} is missing" if missing else f"there is no id {extra[0]}: 256 + len(merges) ids"
    i = next(i for i in want if table[i] != want[i])
    return f"vocab[{i}] is {table[i]!r}, expected {want[i]!r}"


def compare_bpe_encode(expected, got, case):
    reason = compare_default(expected, got, case)
    if not reason or not isinstance(got, list):
        return reason if reason is None or isinstance(got, list) else f"{reason}: return a list of ints"
    text, merges = case.args
    return _named([
        ("took the present pair with the highest merge index: the lowest index (the oldest merge) goes first",
         lambda: _encode_variant(text, merges, rule="newest")),
        ("merged a pair learned later before one learned earlier: each time merge the present pair with the "
         "lowest merge index (not the leftmost, not the most frequent one), every occurrence of it",
         lambda: _encode_variant(text, merges, rule="leftmost")),
        ("merged a pair learned later before one learned earlier: each time merge the present pair with the "
         "lowest merge index (not the most frequent one in this text), every occurrence of it",
         lambda: _encode_variant(text, merges, rule="frequent")),
        ("merge i makes id 256 + i, not 255 + i",
         lambda: _encode_variant(text, merges, offset=255)),
        ('worked on characters, not bytes: start from list(text.encode("utf-8"))',
         lambda: _encode_variant(text, merges, chars=True)),
        ("merged overlapping pairs: a pair's second id cannot start the next match",
         lambda: _encode_with_overlap(text, merges)),
    ], got, reason)


def _encode_with_overlap(text, merges):
    ids = list(text.encode("utf-8"))
    for i, pair in enumerate(merges):
        ids = _merge_variant(ids, pair, 256 + i, skip=False)
    return ids


def compare_bpe_decode(expected, got, case):
    reason = compare_default(expected, got, case)
    if not reason or not isinstance(got, str):
        return reason
    ids, merges = case.args
    table = tokens.vocab(merges)
    raw = b"".join(table[i] for i in ids)
    return _named([
        ('dropped the bytes that are not whole characters: decode with errors="replace", which shows them as �',
         lambda: raw.decode("utf-8", errors="ignore")),
        ("decoded as Latin-1: the bytes are UTF-8, so é is the two bytes C3 A9",
         lambda: raw.decode("latin-1")),
        ("decoded each id on its own: join all the bytes first, then decode once (a character can span tokens)",
         lambda: "".join(table[i].decode("utf-8", errors="replace") for i in ids)),
        ("looked merge i up at id 255 + i: merge i is id 256 + i",
         lambda: b"".join(table[i - 1 if i > 255 else i] for i in ids).decode("utf-8", errors="replace")),
    ], got, reason)


# ---- drawing inputs: small readable cases first, then random ones ----

A, B, C, D = 97, 98, 99, 100
HAND_MERGES = [(A, A), (256, A), (257, B)]  # train_bpe("aaabdaaabac", 3): aa, aaa, aaab
ALPHABETS = ["ab", "abc ", "ab é", "aé😊 ", "the cat "]


def _text(rng, alphabet, lo=6, hi=24):
    return "".join(rng.choice(list(alphabet), size=int(rng.integers(lo, hi + 1))))


def _trained(rng, n=6):
    """Merges trained on a random little text, and that text."""
    text = _text(rng, ALPHABETS[int(rng.integers(len(ALPHABETS)))], 12, 30)
    return tokens.train_bpe(text, n), text


def pair_counts_cases(rng):
    return [
        Case(([1, 2, 1, 2, 1],)),
        Case(([1, 1, 1],)),  # overlapping: (1, 1) twice
        Case(([1, 1, 1, 1],)),
        Case(([3, 1, 2, 3, 1],)),
        Case(([5],)),
        Case(([],)),
        Case(([256, 97, 256, 97],)),  # ids made by merges count like any other
        Case((list("é😊".encode("utf-8")),)),
        *[Case(([int(i) for i in rng.integers(0, 4, size=int(rng.integers(6, 14)))],)) for _ in range(4)],
    ]


def merge_pair_cases(rng):
    random = []
    for _ in range(4):
        ids = [int(i) for i in rng.integers(0, 3, size=int(rng.integers(6, 14)))]
        random.append(Case((ids, (ids[0], ids[1]), 256 + int(rng.integers(0, 20)))))
    return [
        Case(([1, 2, 3, 1, 2], (1, 2), 7)),
        Case(([1, 1, 1], (1, 1), 256)),  # non-overlapping, from the left: [256, 1]
        Case(([1, 1, 1, 1], (1, 1), 256)),
        Case(([2, 1, 3], (1, 2), 7)),  # the order inside a pair matters
        Case(([3, 1, 2], (1, 2), 9)),  # a match at the very end
        Case(([1, 2, 1], (1, 2), 9)),  # an unmatched id at the very end
        Case(([], (1, 2), 9)),
        Case(([1, 1, 1, 2, 1, 1], (1, 1), 300)),
        *random,
    ]


def train_bpe_cases(rng):
    random = [Case((_text(rng, ALPHABETS[k % len(ALPHABETS)]), int(rng.integers(2, 7)))) for k in range(5)]
    return [
        Case(("aaabdaaabac", 3)),
        Case(("aaabdaaabac", 10)),  # stops after 3: then every pair occurs once
        Case(("aaa", 5)),  # overlapping counts: (97, 97) twice, one merge
        Case(("cdab cd ab", 2)),  # a tie: (c, d) occurs first, although (a, b) is smaller
        Case(("abcabc", 5)),
        Case(("abab", 0)),
        Case(("éé", 3)),  # bytes: é is C3 A9
        Case(("ab", 4)),
        Case(("", 3)),  # no pair at all: nothing to merge, not an error
        Case(("a", 2)),
        *random,
    ]


def vocab_cases(rng):
    return [
        Case(([],)),
        Case(([(A, B)],)),
        Case((HAND_MERGES,)),
        Case(([(B, A), (256, 256)],)),  # a merge of two merged ids
        Case(([(0xC3, 0xA9), (256, A)],)),  # é, then éa
        *[Case((_trained(rng)[0],)) for _ in range(3)],
    ]


def bpe_encode_cases(rng):
    random = []
    for _ in range(4):
        merges, text = _trained(rng)
        random.append(Case((text[:12], merges)))
        random.append(Case((_text(rng, "abc é😊", 4, 12), merges)))  # a text the merges were not trained on
    return [
        Case(("aaabdaaabac", HAND_MERGES)),
        Case(("aaaa", HAND_MERGES)),  # (a, a) first, and (256, 256) is no merge
        Case(("ab", HAND_MERGES)),  # (a, b) alone was never learned
        Case(("", HAND_MERGES)),
        Case(("cabca", [(B, C), (C, A), (A, B)])),  # by index, by newest and by frequency: three answers
        Case(("abcab", [(B, C), (A, B)])),  # merge order, not position or frequency: (b, c) first
        Case(("bcabc", [(A, B), (B, C), (256, C)])),
        Case(("é😊", [])),  # no merges: the UTF-8 bytes
        Case(("café", [(0xC3, 0xA9), (A, 256)])),
        Case(("aaaaa", [(A, A), (256, 256)])),
        *random,
    ]


def bpe_decode_cases(rng):
    random = []
    for _ in range(4):
        merges, text = _trained(rng)
        size = 256 + len(merges)
        random.append(Case((tokens.bpe_encode(text, merges)[:8], merges)))
        random.append(Case(([int(i) for i in rng.integers(128, size, size=5)], merges)))  # may cut characters
    return [
        Case(([258, D, 256], HAND_MERGES)),
        Case(([A, B], [])),
        Case(([], HAND_MERGES)),
        Case(([0xC3, 0xA9], [])),  # é: two bytes, one character
        Case(([256, 257], [(0xC3, 0xA9), (0xE6, 0x9D)])),  # é, then 東 split across two tokens
        Case(([257, 0xB1], [(0xC3, 0xA9), (0xE6, 0x9D)])),  # the same 東 across tokens, whole
        Case(([0xC3], [])),  # half of é: the replacement character
        Case(([A, 0xF0, 0x9F, B], [])),  # half an emoji between two letters
        *random,
    ]


SPECS = [
    Spec("pair_counts", pair_counts, pair_counts_cases, compare=compare_pair_counts,
         hint="a dict {(ids[k], ids[k+1]): count} over every position k, overlapping ([1, 1, 1] has (1, 1) twice)"),
    Spec("merge_pair", tokens.merge_pair, merge_pair_cases, compare=compare_merge_pair,
         hint="scan left to right; where ids[k], ids[k+1] is the pair append new_id and skip both, "
              "else append ids[k]; return a new list"),
    Spec("train_bpe", tokens.train_bpe, train_bpe_cases, compare=compare_train_bpe,
         hint="start from list(text.encode('utf-8')); each step the most frequent pair (ties: the one that occurs "
              "first), merged into id 256 + i; stop when no pair occurs twice"),
    Spec("vocab", vocab, vocab_cases, compare=compare_vocab,
         hint="{i: bytes([i]) for i in range(256)}, then for merges[i] = (a, b): vocab[256 + i] = vocab[a] + vocab[b]"),
    Spec("bpe_encode", tokens.bpe_encode, bpe_encode_cases, compare=compare_bpe_encode,
         hint="start from the UTF-8 bytes; while a present pair is a merge, merge the one with the lowest index "
              "(into 256 + index), every occurrence"),
    Spec("bpe_decode", tokens.bpe_decode, bpe_decode_cases, compare=compare_bpe_decode,
         hint="join the bytes of every id (vocab), then decode once: .decode('utf-8', errors='replace')"),
]
