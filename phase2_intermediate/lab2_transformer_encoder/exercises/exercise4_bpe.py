# Exercise stub generated from solution/exercise4_bpe.py by `make stubs` [fingerprint c8f1556f4667]
"""Exercise 4: a byte-level BPE tokenizer (GPT-2 style), trained and applied by hand.

Byte-pair encoding (Sennrich et al. 2016, on bytes as in Radford et al. 2019, GPT-2):

1. split the text at the special tokens (they are never merged and never split);
2. pre-tokenize every piece with GPT-2's regex (``GPT2_SPLIT_PATTERN``): words with their leading
   space, numbers, punctuation runs, whitespace. Merges never cross a pre-token boundary;
3. start from the 256 byte values (ids 0..255, vocab[i] = bytes([i])) and repeatedly merge the
   most frequent adjacent pair into a new id (256, 257, ...). Ties between equally frequent pairs go
   to the lexicographically GREATER pair, comparing (vocab[a], vocab[b]) as byte strings;
4. special tokens get the ids after the merges, in the order given.

Training must update the pair counts incrementally: after a merge, only the words that contain
the merged pair change, so only their pairs are recounted. A recount of the whole corpus per merge
is quadratic in practice and fails the speed test (1,000 merges on the lab corpus take seconds).

Run the checks with:  make test-lab LAB=phase2_intermediate/lab2_transformer_encoder EX=4
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

import regex

# GPT-2's pre-tokenizer (openai/gpt-2, src/encoder.py), also tiktoken's "r50k_base" and
# Hugging Face's ByteLevel(use_regex=True). Needs the third-party ``regex`` module for \p{L}, \p{N}.
GPT2_SPLIT_PATTERN = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
_GPT2_RE = regex.compile(GPT2_SPLIT_PATTERN)


def pretokenize(text: str) -> list[str]:
    """GPT-2's pre-tokens of ``text``: ``regex.findall(GPT2_SPLIT_PATTERN, text)``.

    "Hello world!!" -> ["Hello", " world", "!!"]. Joining them gives ``text`` back.
    """
    return _GPT2_RE.findall(text)


def split_special(text: str, special_tokens: list[str]) -> list[str]:
    """``text`` cut at every occurrence of a special token, the tokens kept as their own pieces.

    split_special("a<|eot|>b", ["<|eot|>"]) -> ["a", "<|eot|>", "b"] (empty pieces dropped). Longer
    special tokens are matched first, so one that contains another is not cut in two.
    """
    if not special_tokens:
        return [text] if text else []
    alternation = "|".join(regex.escape(s) for s in sorted(special_tokens, key=len, reverse=True))
    return [piece for piece in regex.split(f"({alternation})", text) if piece]


def pair_counts(words: dict[tuple[int, ...], int]) -> Counter:
    """Counts of adjacent id pairs over a dict word -> frequency: Counter {(a, b): count}.

    A word (1, 2, 1, 2) with frequency 3 contributes (1, 2): 6 and (2, 1): 3.
    """
    # TODO: for each word and each adjacent pair (zip(word, word[1:])), add the word's frequency.
    raise NotImplementedError("Exercise 4.1: implement pair_counts")


def merge_word(word: tuple[int, ...], pair: tuple[int, int], new_id: int) -> tuple[int, ...]:
    """Replace every non-overlapping occurrence of ``pair`` in ``word``, left to right, by ``new_id``.

    merge_word((1, 1, 1), (1, 1), 9) -> (9, 1): after a match the scan jumps past it.
    """
    # TODO: walk i over the word; where (word[i], word[i+1]) == pair emit new_id and skip two,
    # TODO: else emit word[i] and move one.
    raise NotImplementedError("Exercise 4.2: implement merge_word")


def train_merges(word_counts: dict[bytes, int], num_merges: int) -> tuple[list[tuple[int, int]], dict[int, bytes]]:
    """BPE training on pre-tokens given as bytes -> frequency: (merges, vocab).

    merges: the pairs in the order they were merged, merge k creating id 256 + k; vocab: id ->
    bytes for the 256 bytes and every merge. Each step merges the most frequent pair, ties to the
    lexicographically greater (vocab[a], vocab[b]). Stops early when no pair is left.
    Sennrich et al.'s example {low: 5, lower: 2, newest: 6, widest: 3} merges s+t, e+st, o+w, l+ow,
    w+est, n+e first (the README works it).
    """
    # TODO: words: list of id tuples (bytes -> tuple(b)), freqs alongside. Keep pair -> count and
    # TODO: pair -> set of word indices that contain it. Per merge: the best pair (max count, then
    # TODO: the greater byte pair among the ties: find the max count first, then compare only the
    # TODO: tied pairs), then for each word that contains it subtract its old pairs, merge, add its
    # TODO: new pairs. Never recount the whole corpus inside the loop.
    raise NotImplementedError("Exercise 4.3: implement train_merges")


@dataclass
class BPETokenizer:
    """A trained byte-level BPE: ``merges`` in order, ``vocab`` id -> bytes, ``special_tokens`` str -> id.

    encode(text) -> list of ids; decode(ids) -> str. decode(encode(s)) == s for every str s.
    """

    merges: list[tuple[int, int]]
    vocab: dict[int, bytes]
    special_tokens: dict[str, int] = field(default_factory=dict)

    def __post_init__(self):
        self.ranks = {pair: rank for rank, pair in enumerate(self.merges)}
        self._cache: dict[str, list[int]] = {}

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def _encode_pretoken(self, piece: str) -> list[int]:
        """One pre-token's ids: its UTF-8 bytes, then the merges applied in RANK order (the
        earliest-learned pair present is merged first, everywhere in the piece, and so on)."""
        # TODO: ids = list(piece.encode("utf-8")); loop: among the adjacent pairs pick the one with
        # TODO: the LOWEST rank in self.ranks (unknown pairs never merge); stop when none is known;
        # TODO: replace it with its id, 256 + rank (merge_word). Memoise per piece in self._cache.
        raise NotImplementedError("Exercise 4.4: implement BPETokenizer._encode_pretoken")

    def encode(self, text: str) -> list[int]:
        """ids of ``text``: cut at special tokens (each becomes its one id), pre-tokenize the rest,
        encode each pre-token."""
        # TODO: split_special(text, list(self.special_tokens)); a special piece -> its id; any other
        # TODO: piece -> pretokenize -> _encode_pretoken for each, concatenated.
        raise NotImplementedError("Exercise 4.5: implement BPETokenizer.encode")

    def decode_bytes(self, ids: list[int]) -> bytes:
        """The bytes of ``ids`` joined (a special token's id gives its UTF-8 text)."""
        # TODO: b"".join of vocab[i]; the special tokens are in vocab too (see train_bpe).
        raise NotImplementedError("Exercise 4.6: implement BPETokenizer.decode_bytes")

    def decode(self, ids: list[int]) -> str:
        """decode_bytes(ids) as UTF-8; bytes that are not valid UTF-8 become U+FFFD ("replace").

        A single token may hold part of a character (an emoji is 4 bytes); only the whole
        sequence is guaranteed to be valid, so decode the joined bytes, never token by token.
        """
        # TODO: one decode of the joined bytes with errors="replace".
        raise NotImplementedError("Exercise 4.7: implement BPETokenizer.decode")


def train_bpe(text: str | list[str], vocab_size: int, special_tokens: list[str] | tuple[str, ...] = ()) -> BPETokenizer:
    """Train a byte-level BPE with ``vocab_size`` = 256 + merges + len(special_tokens) entries.

    text: one string or a list of documents (each split at specials and pre-tokenized on its own).
    Special tokens get the ids right after the merges actually made (256 + len(merges), ... in
    order; fewer merges than asked when the pairs run out), vocab[id] = their UTF-8 bytes. Raises
    ValueError when vocab_size < 256 + len(special_tokens).
    """
    # TODO: count the pre-tokens' UTF-8 bytes over every non-special piece (a Counter of bytes);
    # TODO: train_merges with num_merges = vocab_size - 256 - len(special_tokens); then the specials.
    raise NotImplementedError("Exercise 4.8: implement train_bpe")


def bytes_per_token(tokenizer, texts: list[str]) -> float:
    """Compression: total UTF-8 bytes of ``texts`` / total tokens ``tokenizer.encode`` gives them."""
    n_bytes = sum(len(t.encode("utf-8")) for t in texts)
    n_tokens = sum(len(tokenizer.encode(t)) for t in texts)
    return n_bytes / n_tokens
