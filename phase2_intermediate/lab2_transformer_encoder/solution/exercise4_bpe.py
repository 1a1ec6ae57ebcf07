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
    # BEGIN SOLUTION
    # TODO: for each word and each adjacent pair (zip(word, word[1:])), add the word's frequency.
    counts: Counter = Counter()
    for word, freq in words.items():
        for pair in zip(word, word[1:]):
            counts[pair] += freq
    return counts
    # END SOLUTION


def merge_word(word: tuple[int, ...], pair: tuple[int, int], new_id: int) -> tuple[int, ...]:
    """Replace every non-overlapping occurrence of ``pair`` in ``word``, left to right, by ``new_id``.

    merge_word((1, 1, 1), (1, 1), 9) -> (9, 1): after a match the scan jumps past it.
    """
    # BEGIN SOLUTION
    # TODO: walk i over the word; where (word[i], word[i+1]) == pair emit new_id and skip two,
    # TODO: else emit word[i] and move one.
    out, i, a, b = [], 0, pair[0], pair[1]
    n = len(word)
    while i < n:
        if i + 1 < n and word[i] == a and word[i + 1] == b:
            out.append(new_id)
            i += 2
        else:
            out.append(word[i])
            i += 1
    return tuple(out)
    # END SOLUTION


def train_merges(word_counts: dict[bytes, int], num_merges: int) -> tuple[list[tuple[int, int]], dict[int, bytes]]:
    """BPE training on pre-tokens given as bytes -> frequency: (merges, vocab).

    merges: the pairs in the order they were merged, merge k creating id 256 + k; vocab: id ->
    bytes for the 256 bytes and every merge. Each step merges the most frequent pair, ties to the
    lexicographically greater (vocab[a], vocab[b]). Stops early when no pair is left.
    Sennrich et al.'s example {low: 5, lower: 2, newest: 6, widest: 3} merges s+t, e+st, o+w, l+ow,
    w+est, n+e first (the README works it).
    """
    # BEGIN SOLUTION
    # TODO: words: list of id tuples (bytes -> tuple(b)), freqs alongside. Keep pair -> count and
    # TODO: pair -> set of word indices that contain it. Per merge: the best pair (max count, then
    # TODO: the greater byte pair among the ties: find the max count first, then compare only the
    # TODO: tied pairs), then for each word that contains it subtract its old pairs, merge, add its
    # TODO: new pairs. Never recount the whole corpus inside the loop.
    vocab = {i: bytes([i]) for i in range(256)}
    words = [tuple(w) for w in word_counts]
    freqs = list(word_counts.values())
    counts: dict[tuple[int, int], int] = defaultdict(int)
    where: dict[tuple[int, int], set[int]] = defaultdict(set)
    for idx, (word, freq) in enumerate(zip(words, freqs)):
        for pair in zip(word, word[1:]):
            counts[pair] += freq
            where[pair].add(idx)
    merges: list[tuple[int, int]] = []
    for k in range(num_merges):
        if not counts:
            break
        top = max(counts.values())
        best = max((p for p, c in counts.items() if c == top), key=lambda p: (vocab[p[0]], vocab[p[1]]))
        new_id = 256 + k
        merges.append(best)
        vocab[new_id] = vocab[best[0]] + vocab[best[1]]
        for idx in where.pop(best):
            old, freq = words[idx], freqs[idx]
            new = merge_word(old, best, new_id)
            if new == old:
                continue
            for pair in zip(old, old[1:]):
                counts[pair] -= freq
                if counts[pair] == 0:
                    del counts[pair]
            for pair in zip(new, new[1:]):
                counts[pair] += freq
                where[pair].add(idx)
            words[idx] = new
        counts.pop(best, None)
    return merges, vocab
    # END SOLUTION


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
        # BEGIN SOLUTION
        # TODO: ids = list(piece.encode("utf-8")); loop: among the adjacent pairs pick the one with
        # TODO: the LOWEST rank in self.ranks (unknown pairs never merge); stop when none is known;
        # TODO: replace it with its id, 256 + rank (merge_word). Memoise per piece in self._cache.
        if piece in self._cache:
            return self._cache[piece]
        ids = tuple(piece.encode("utf-8"))
        while len(ids) > 1:
            pair = min(zip(ids, ids[1:]), key=lambda p: self.ranks.get(p, float("inf")))
            rank = self.ranks.get(pair)
            if rank is None:
                break
            ids = merge_word(ids, pair, 256 + rank)
        self._cache[piece] = list(ids)
        return self._cache[piece]
        # END SOLUTION

    def encode(self, text: str) -> list[int]:
        """ids of ``text``: cut at special tokens (each becomes its one id), pre-tokenize the rest,
        encode each pre-token."""
        # BEGIN SOLUTION
        # TODO: split_special(text, list(self.special_tokens)); a special piece -> its id; any other
        # TODO: piece -> pretokenize -> _encode_pretoken for each, concatenated.
        out: list[int] = []
        for piece in split_special(text, list(self.special_tokens)):
            if piece in self.special_tokens:
                out.append(self.special_tokens[piece])
            else:
                for pre in pretokenize(piece):
                    out.extend(self._encode_pretoken(pre))
        return out
        # END SOLUTION

    def decode_bytes(self, ids: list[int]) -> bytes:
        """The bytes of ``ids`` joined (a special token's id gives its UTF-8 text)."""
        # BEGIN SOLUTION
        # TODO: b"".join of vocab[i]; the special tokens are in vocab too (see train_bpe).
        return b"".join(self.vocab[i] for i in ids)
        # END SOLUTION

    def decode(self, ids: list[int]) -> str:
        """decode_bytes(ids) as UTF-8; bytes that are not valid UTF-8 become U+FFFD ("replace").

        A single token may hold part of a character (an emoji is 4 bytes); only the whole
        sequence is guaranteed to be valid, so decode the joined bytes, never token by token.
        """
        # BEGIN SOLUTION
        # TODO: one decode of the joined bytes with errors="replace".
        return self.decode_bytes(ids).decode("utf-8", errors="replace")
        # END SOLUTION


def train_bpe(text: str | list[str], vocab_size: int, special_tokens: list[str] | tuple[str, ...] = ()) -> BPETokenizer:
    """Train a byte-level BPE with ``vocab_size`` = 256 + merges + len(special_tokens) entries.

    text: one string or a list of documents (each split at specials and pre-tokenized on its own).
    Special tokens get the ids right after the merges actually made (256 + len(merges), ... in
    order; fewer merges than asked when the pairs run out), vocab[id] = their UTF-8 bytes. Raises
    ValueError when vocab_size < 256 + len(special_tokens).
    """
    # BEGIN SOLUTION
    # TODO: count the pre-tokens' UTF-8 bytes over every non-special piece (a Counter of bytes);
    # TODO: train_merges with num_merges = vocab_size - 256 - len(special_tokens); then the specials.
    special_tokens = list(special_tokens)
    num_merges = vocab_size - 256 - len(special_tokens)
    if num_merges < 0:
        raise ValueError(f"vocab_size {vocab_size} is below 256 bytes + {len(special_tokens)} special tokens")
    docs = [text] if isinstance(text, str) else list(text)
    word_counts: Counter = Counter()
    for doc in docs:
        for piece in split_special(doc, special_tokens):
            if piece not in special_tokens:
                word_counts.update(pre.encode("utf-8") for pre in pretokenize(piece))
    merges, vocab = train_merges(dict(word_counts), num_merges)
    specials = {}
    for s in special_tokens:
        specials[s] = len(vocab)
        vocab[len(vocab)] = s.encode("utf-8")
    return BPETokenizer(merges, vocab, specials)
    # END SOLUTION


def bytes_per_token(tokenizer, texts: list[str]) -> float:
    """Compression: total UTF-8 bytes of ``texts`` / total tokens ``tokenizer.encode`` gives them."""
    n_bytes = sum(len(t.encode("utf-8")) for t in texts)
    n_tokens = sum(len(tokenizer.encode(t)) for t in texts)
    return n_bytes / n_tokens
