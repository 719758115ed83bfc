"""reference.tokens: byte-level BPE, checked on texts worked by hand and against a second implementation written
here (merging through str.replace, training by an explicit (count, first position) ranking, encoding by replaying
the merges in training order)."""

import collections

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numcheck import raises_naming
from reference import tokens as tok

pytestmark = pytest.mark.filterwarnings("error")

a, b, c, d = 97, 98, 99, 100  # the UTF-8 bytes of "a", "b", "c", "d"


# ---- a second implementation ----


def gold_pair_counts(ids):
    """Counter of the windows ids[k:k + 2], one window per position (so overlapping)."""
    return collections.Counter(tuple(ids[k:k + 2]) for k in range(len(ids) - 1))


def gold_merge(ids, pair, new_id):
    """Each id as one character, then str.replace: Python's replace is left to right and non-overlapping."""
    as_text = "".join(chr(i) for i in ids)
    return [ord(ch) for ch in as_text.replace(chr(pair[0]) + chr(pair[1]), chr(new_id))]


def gold_train(text, n_merges):
    """Each step: the pair ranked first by (highest count, earliest first position); stop below two occurrences."""
    ids, merges = list(text.encode("utf-8")), []
    for _ in range(n_merges):
        windows = [tuple(ids[k:k + 2]) for k in range(len(ids) - 1)]
        if not windows:
            break
        pair = min(set(windows), key=lambda p: (-windows.count(p), windows.index(p)))
        if windows.count(pair) < 2:
            break
        ids = gold_merge(ids, pair, 256 + len(merges))
        merges.append(pair)
    return merges


def gold_encode(text, merges):
    """Replay the merges in training order, each over the whole sequence."""
    ids = list(text.encode("utf-8"))
    for i, pair in enumerate(merges):
        ids = gold_merge(ids, pair, 256 + i)
    return ids


# small alphabets make repeated pairs (and ties, and runs like "aaaa") likely; the emoji is four bytes
SMALL_TEXT = st.text(alphabet="ab é😊", max_size=40)
ANY_TEXT = st.text(max_size=60)  # any unicode code point but lone surrogates, astral-plane ones included
TRAINING = "a fluffy blue creature roamed the forest. Café, naïve, Straße, 東京 😊🌲 " * 3


# ---- pair_counts ----


def test_pair_counts_by_hand():
    # [1, 2, 1, 2, 1]: windows (1,2) (2,1) (1,2) (2,1)
    assert tok.pair_counts([1, 2, 1, 2, 1]) == {(1, 2): 2, (2, 1): 2}
    # [1, 1, 1]: windows (1,1) at 0 and (1,1) at 1, overlapping
    assert tok.pair_counts([1, 1, 1]) == {(1, 1): 2}
    assert tok.pair_counts([7]) == {} and tok.pair_counts([]) == {}


def test_pair_counts_lists_pairs_in_order_of_first_occurrence():
    # [3, 1, 2, 3, 1]: (3,1) first at 0, (1,2) at 1, (2,3) at 2
    assert list(tok.pair_counts([3, 1, 2, 3, 1])) == [(3, 1), (1, 2), (2, 3)]


def test_pair_counts_accepts_an_integer_array_and_returns_python_ints():
    counts = tok.pair_counts(np.array([5, 6, 5, 6]))
    assert counts == {(5, 6): 2, (6, 5): 1}
    assert all(type(x) is int for pair in counts for x in pair)


@given(st.lists(st.integers(0, 5), max_size=30))
def test_pair_counts_matches_the_windows(ids):
    counts = tok.pair_counts(ids)
    assert counts == gold_pair_counts(ids)
    assert sum(counts.values()) == max(len(ids) - 1, 0)


# ---- merge_pair ----


def test_merge_pair_by_hand():
    assert tok.merge_pair([1, 1, 1], (1, 1), 256) == [256, 1]  # non-overlapping, from the left
    assert tok.merge_pair([1, 1, 1, 1], (1, 1), 256) == [256, 256]
    assert tok.merge_pair([1, 2, 3, 1, 2], (1, 2), 7) == [7, 3, 7]
    assert tok.merge_pair([2, 1], (1, 2), 7) == [2, 1]  # order matters: (2, 1) is not (1, 2)
    assert tok.merge_pair([], (1, 2), 7) == []


def test_merge_pair_leaves_its_input_alone():
    ids = [1, 2, 1, 2]
    tok.merge_pair(ids, (1, 2), 9)
    assert ids == [1, 2, 1, 2]


@given(st.lists(st.integers(0, 3), max_size=30), st.tuples(st.integers(0, 3), st.integers(0, 3)))
def test_merge_pair_matches_str_replace(ids, pair):
    assert tok.merge_pair(ids, pair, 300) == gold_merge(ids, pair, 300)


# ---- train_bpe ----


def test_train_bpe_by_hand():
    # "aaabdaaabac": aa 4, ab 2 -> (a, a) = 256, giving 256 a b d 256 a b a c
    # then (256, a) 2 and (a, b) 2 tie: (256, a) occurs first -> 257, giving 257 b d 257 b a c
    # then (257, b) 2 -> 258, giving 258 d 258 a c, where every pair occurs once: stop
    assert tok.train_bpe("aaabdaaabac", 10) == [(a, a), (256, a), (257, b)]
    assert tok.train_bpe("aaabdaaabac", 2) == [(a, a), (256, a)]
    assert tok.train_bpe("aaabdaaabac", 0) == []


def test_train_bpe_counts_overlapping_pairs_for_the_stop_rule():
    # "aaa" holds (a, a) twice (overlapping): one merge, then [256, a] has a single pair
    assert tok.train_bpe("aaa", 5) == [(a, a)]
    # "aaaa": (a, a) three times -> [256, 256], one pair left, seen once
    assert tok.train_bpe("aaaa", 5) == [(a, a)]
    assert tok.train_bpe("ab", 5) == [] and tok.train_bpe("", 5) == []


def test_train_bpe_breaks_ties_by_first_occurrence_not_by_value():
    # "cdab cd ab": (c, d) and (a, b) both twice; (c, d) comes first though (a, b) is the smaller pair
    assert tok.train_bpe("cdab cd ab", 1) == [(c, d)]
    # "abcabc": (a, b) and (b, c) twice each, (a, b) first -> 256 c 256 c, then (256, c) twice -> 257 257
    assert tok.train_bpe("abcabc", 5) == [(a, b), (256, c)]


def test_train_bpe_works_on_bytes_not_characters():
    # "éé" is C3 A9 C3 A9: (C3, A9) twice, then [256, 256]
    assert tok.train_bpe("éé", 5) == [(0xC3, 0xA9)]


@settings(max_examples=60)
@given(SMALL_TEXT, st.integers(0, 12))
def test_train_bpe_matches_the_ranked_implementation(text, n_merges):
    assert tok.train_bpe(text, n_merges) == gold_train(text, n_merges)


@given(SMALL_TEXT, st.integers(0, 12))
def test_every_merge_was_seen_at_least_twice_when_chosen(text, n_merges):
    ids = list(text.encode("utf-8"))
    for i, pair in enumerate(tok.train_bpe(text, n_merges)):
        assert gold_pair_counts(ids)[pair] >= 2
        ids = gold_merge(ids, pair, 256 + i)


# ---- vocab ----


def test_vocab_by_hand():
    table = tok.vocab([(a, a), (256, a), (257, b)])
    assert len(table) == 259
    assert table[0] == b"\x00" and table[255] == b"\xff" and table[a] == b"a"
    assert (table[256], table[257], table[258]) == (b"aa", b"aaa", b"aaab")
    assert tok.vocab([]) == {i: bytes([i]) for i in range(256)}


@given(ANY_TEXT)
def test_vocab_spells_each_token_of_the_encoding(text):
    merges = tok.train_bpe(TRAINING + text, 40)
    table = tok.vocab(merges)
    assert b"".join(table[i] for i in tok.bpe_encode(text, merges)) == text.encode("utf-8")


# ---- bpe_encode ----


def test_bpe_encode_by_hand():
    merges = [(a, a), (256, a), (257, b)]  # trained on "aaabdaaabac" above: 256 aa, 257 aaa, 258 aaab
    assert tok.bpe_encode("aaabdaaabac", merges) == [258, d, 258, a, c]
    assert tok.bpe_encode("aaaa", merges) == [256, 256]  # (a, a) first, and [256, 256] knows no merge
    assert tok.bpe_encode("ab", merges) == [a, b]  # (a, b) alone was never learned
    assert tok.bpe_encode("", merges) == []
    assert tok.bpe_encode("é", []) == [0xC3, 0xA9]  # no merges: the UTF-8 bytes
    assert tok.bpe_encode("東😊", []) == [0xE6, 0x9D, 0xB1, 0xF0, 0x9F, 0x98, 0x8A]


def test_bpe_encode_merges_by_training_order_not_by_frequency():
    # merges learned elsewhere: (b, c) first, then (a, b). In "abc" both pairs are present once; (b, c) has
    # the lower index, so a (bc) -> [a, 256], and (a, 256) is no merge
    assert tok.bpe_encode("abc", [(b, c), (a, b)]) == [a, 256]
    # leftmost-first would have merged (a, b) into 257, giving [257, c]


def test_a_word_the_training_text_never_had_still_encodes_in_pieces():
    merges = tok.train_bpe(TRAINING, 60)
    ids = tok.bpe_encode("blueberry", merges)
    assert 1 < len(ids) < len("blueberry") and tok.bpe_decode(ids, merges) == "blueberry"


@settings(max_examples=60)
@given(ANY_TEXT, SMALL_TEXT)
def test_bpe_encode_equals_replaying_the_merges_in_training_order(text, training):
    for merges in (tok.train_bpe(TRAINING, 50), tok.train_bpe(training, 8)):
        assert tok.bpe_encode(text, merges) == gold_encode(text, merges)


@given(SMALL_TEXT, st.integers(0, 12))
def test_encoding_the_training_text_gives_the_sequence_training_ended_with(text, n_merges):
    merges = tok.train_bpe(text, n_merges)
    ids = list(text.encode("utf-8"))
    for i, pair in enumerate(merges):
        ids = gold_merge(ids, pair, 256 + i)
    assert tok.bpe_encode(text, merges) == ids


# ---- bpe_decode ----


def test_bpe_decode_by_hand():
    merges = [(a, a), (256, a), (257, b)]
    assert tok.bpe_decode([258, d, 256], merges) == "aaabdaa"
    assert tok.bpe_decode([], merges) == ""
    assert tok.bpe_decode([0xC3, 0xA9], []) == "é"


def test_bpe_decode_replaces_a_cut_character():
    assert tok.bpe_decode([0xC3], []) == "\ufffd"  # the first byte of é alone
    assert tok.bpe_decode([a, 0xF0, 0x9F, b], []) == "a\ufffdb"  # half an emoji


@given(ANY_TEXT)
def test_round_trip_on_any_text(text):
    for merges in ([], tok.train_bpe(TRAINING, 80), tok.train_bpe(text, 10)):
        assert tok.bpe_decode(tok.bpe_encode(text, merges), merges) == text


def test_round_trip_with_emoji_and_accents():
    merges = tok.train_bpe(TRAINING, 80)
    for text in ["😊", "🌲😊🌲", "crème brûlée", "Straße", "東京", "👩‍👩‍👧 family"]:
        assert tok.bpe_decode(tok.bpe_encode(text, merges), merges) == text


# ---- every invalid argument raises ValueError naming it ----


@pytest.mark.parametrize("call, name", [
    (lambda: tok.pair_counts("abc"), "ids"),
    (lambda: tok.pair_counts([1, -1]), "ids[1]"),
    (lambda: tok.pair_counts([1, 2.0]), "ids[1]"),
    (lambda: tok.pair_counts([True, 1]), "ids[0]"),
    (lambda: tok.pair_counts(np.array([1.0, 2.0])), "ids"),
    (lambda: tok.pair_counts(np.array([[1, 2]])), "ids"),
    (lambda: tok.merge_pair([1, 2], (1,), 5), "pair"),
    (lambda: tok.merge_pair([1, 2], 12, 5), "pair"),
    (lambda: tok.merge_pair([1, 2], (1, -2), 5), "pair[1]"),
    (lambda: tok.merge_pair([1, 2], (1, 2), -5), "new_id"),
    (lambda: tok.merge_pair([1, 2], (1, 2), 5.0), "new_id"),
    (lambda: tok.merge_pair(None, (1, 2), 5), "ids"),
    (lambda: tok.train_bpe(b"abc", 3), "text"),
    (lambda: tok.train_bpe(["a", "b"], 3), "text"),
    (lambda: tok.train_bpe("abc", -1), "n_merges"),
    (lambda: tok.train_bpe("abc", 2.5), "n_merges"),
    (lambda: tok.train_bpe("abc", True), "n_merges"),
    (lambda: tok.vocab([(a, 256)]), "merges[0]"),  # id 256 does not exist before merge 0 makes it
    (lambda: tok.vocab([(a, b), (c, 257)]), "merges[1]"),  # 257 is merge 1's own id
    (lambda: tok.vocab({(a, b): 256}), "merges"),
    (lambda: tok.vocab([(a, b, c)]), "merges[0]"),
    (lambda: tok.vocab([(a, -1)]), "merges[0][1]"),
    (lambda: tok.bpe_encode(42, []), "text"),
    (lambda: tok.bpe_encode("ab", [(a, 300)]), "merges[0]"),
    (lambda: tok.bpe_encode("ab", "ab"), "merges"),
    (lambda: tok.bpe_decode([256], []), "ids[0]"),  # no merges: the vocabulary is the 256 bytes
    (lambda: tok.bpe_decode([a, 257], [(a, b)]), "ids[1]"),
    (lambda: tok.bpe_decode([-1], []), "ids[0]"),
    (lambda: tok.bpe_decode("ab", []), "ids"),
    (lambda: tok.bpe_decode([a], [(a, 999)]), "merges[0]"),
])
def test_invalid_arguments_name_the_argument(call, name):
    with raises_naming(name):
        call()


def test_an_id_outside_the_vocabulary_says_how_big_the_vocabulary_is():
    with pytest.raises(ValueError, match=r"\[0, 257\)"):
        tok.bpe_decode([300], [(a, b)])


def test_a_merge_before_its_id_exists_says_which_ids_it_may_use():
    with pytest.raises(ValueError, match="below 257"):
        tok.vocab([(a, b), (257, a)])
