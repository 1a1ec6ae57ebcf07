# Exercise stub generated from solution/exercise2_training.py by `make stubs` [fingerprint c007c150b2ab]
"""Exercise 2: train a sequence-to-sequence model that really works.

The pieces of Vaswani et al. (2017, section 5) and of every seq2seq training loop since:

* label-smoothed cross-entropy (section 5.4, eps = 0.1): the target distribution puts 1 - eps on
  the true token and spreads eps uniformly over all C classes, so per position
      loss = (1 - eps) * (-log p_y) + eps * mean_c(-log p_c)
  exactly what ``F.cross_entropy(logits, y, label_smoothing=eps, ignore_index=...)`` computes:
  positions whose target is ``ignore_index`` (padding) contribute NOTHING, neither term, and the
  mean is over the remaining positions;
* the warm-up schedule (section 5.3): lr(step) = factor * d_model^-0.5 * min(step^-0.5,
  step * warmup^-1.5), step counted from 1: linear growth for ``warmup`` steps, then 1/sqrt(step);
* teacher forcing: the decoder reads [BOS, y_1, ..., y_n] and is trained to emit
  [y_1, ..., y_n, EOS], the target sequence shifted by one, so position t never sees the token it
  predicts;
* padding-aware batching: sequences of similar length batched together waste less compute on PAD.

The task has a known answer: reverse a sequence of symbols. Token ids: PAD = 0, BOS = 1, EOS = 2,
symbols 3 .. 3 + n_symbols - 1. The source is [x_1 .. x_n, EOS] (the end marker tells the encoder
where the sequence ends, so output t can find x_(n+1-t) relative to it), the target
[BOS, x_n .. x_1, EOS]. Held-out pairs never occur in the training set.

Run the checks with:  make test-lab LAB=2.3 EX=2
"""
from __future__ import annotations

import math
import time

import torch
import torch.nn.functional as F
from torch import nn

PAD, BOS, EOS = 0, 1, 2
FIRST_SYMBOL = 3
IGNORE_INDEX = -100


def label_smoothed_cross_entropy(logits: torch.Tensor, target: torch.Tensor, smoothing: float = 0.0,
                                 ignore_index: int = IGNORE_INDEX) -> torch.Tensor:
    """logits (N, C) or (B, T, C), target (N,) or (B, T) long. Mean over positions whose target
    is not ``ignore_index`` of (1 - eps)(-log p_y) + eps * mean_c(-log p_c). Equals
    F.cross_entropy(logits.reshape(-1, C), target.reshape(-1), label_smoothing=eps,
    ignore_index=ignore_index). Every position ignored: nan (0 / 0), as PyTorch returns.
    """
    # TODO: log_softmax over the class dim; nll = -logp[y], smooth = -logp.mean(-1). Compute both
    # TODO: ONLY over positions where target != ignore_index (gather needs a valid index: clamp),
    # TODO: and divide by the number of such positions.
    raise NotImplementedError("Exercise 2.1: implement label_smoothed_cross_entropy")


def noam_lr(step: int, d_model: int, warmup: int, factor: float = 1.0) -> float:
    """The paper's rate at ``step`` (>= 1): factor * d^-0.5 * min(step^-0.5, step * warmup^-1.5).
    The two branches meet at step = warmup, where the rate peaks at factor * (d * warmup)^-0.5.
    ValueError for step < 1."""
    # TODO: the formula; check step >= 1 first (step 0 would divide by zero).
    raise NotImplementedError("Exercise 2.2: implement noam_lr")


def noam_scheduler(optimizer: torch.optim.Optimizer, d_model: int, warmup: int,
                   factor: float = 1.0) -> torch.optim.lr_scheduler.LambdaLR:
    """A LambdaLR whose rate after k calls of scheduler.step() is noam_lr(k + 1, ...) for an
    optimizer built with lr = 1.0 (LambdaLR multiplies the base rate by the lambda)."""
    # TODO: LambdaLR evaluates the lambda at 0 when it is built: shift by one.
    raise NotImplementedError("Exercise 2.3: implement noam_scheduler")


def reversal_pairs(n: int, min_len: int, max_len: int, n_symbols: int,
                   generator: torch.Generator | None = None,
                   exclude: set[tuple[int, ...]] | None = None) -> list[tuple[list[int], list[int]]]:
    """``n`` distinct pairs (src, src reversed): lengths uniform in [min_len, max_len], symbols
    uniform in FIRST_SYMBOL .. FIRST_SYMBOL + n_symbols - 1, none of whose sources is in ``exclude``.
    Drawn with ``generator``: per candidate a length (torch.randint) then its symbols; a candidate
    already taken is drawn again, so short lengths, which have few distinct sequences, end up rarer.
    RuntimeError after 100 n + 1000 candidates (the range holds too few unused sequences)."""
    out, seen = [], set(exclude or ())
    for _ in range(100 * n + 1000):
        if len(out) == n:
            break
        length = int(torch.randint(min_len, max_len + 1, (1,), generator=generator))
        src = (torch.randint(n_symbols, (length,), generator=generator) + FIRST_SYMBOL).tolist()
        if tuple(src) in seen:
            continue
        seen.add(tuple(src))
        out.append((src, src[::-1]))
    if len(out) < n:
        raise RuntimeError(f"found only {len(out)} of {n} unused sequences of lengths {min_len}-{max_len}")
    return out


def pad_batch(seqs: list[list[int]], pad_id: int = PAD, bos: int | None = None,
              eos: int | None = None) -> torch.Tensor:
    """(B, T_max) long: each sequence, with ``bos`` prepended and ``eos`` appended when given,
    right-padded with ``pad_id`` to the longest."""
    # TODO: build each row as a list, then fill a (B, longest) tensor of pad_id.
    raise NotImplementedError("Exercise 2.4: implement pad_batch")


def teacher_forcing_split(tgt: torch.Tensor, pad_id: int = PAD) -> tuple[torch.Tensor, torch.Tensor]:
    """tgt (B, T): [BOS, y_1 .. y_n, EOS, PAD ...]. Returns (decoder_input, labels), both (B, T-1):
    decoder_input = tgt without its last column, labels = tgt without its first column with
    pad_id replaced by IGNORE_INDEX. labels[:, t] is the token that follows decoder_input[:, :t+1]."""
    # TODO: shift by one; mask the padding of the LABELS (an input PAD is fine: the decoder's
    # TODO: padding mask hides it).
    raise NotImplementedError("Exercise 2.5: implement teacher_forcing_split")


def bucket_batches(lengths: list[int], batch_size: int, generator: torch.Generator | None = None,
                   bucket_size: int = 50) -> list[list[int]]:
    """One epoch of index batches: shuffle the indices (torch.randperm with ``generator``), cut
    them into buckets of ``bucket_size * batch_size``, sort each bucket by length, cut it into
    batches of ``batch_size`` (the last may be smaller), and shuffle the order of the batches
    (one more randperm). Every index appears exactly once."""
    # TODO: the four steps of the docstring; sorting inside a bucket keeps batches random across
    # TODO: epochs but of nearly equal lengths.
    raise NotImplementedError("Exercise 2.6: implement bucket_batches")


def padding_fraction(batches: list[list[int]], lengths: list[int]) -> float:
    """Fraction of the padded batch cells that are padding: 1 - sum(lengths) / sum(B_i * max_i)."""
    cells = sum(len(b) * max(lengths[i] for i in b) for b in batches)
    return 1.0 - sum(lengths[i] for b in batches for i in b) / cells


@torch.no_grad()
def greedy_translate(model: nn.Module, src: torch.Tensor, max_len: int) -> list[list[int]]:
    """Batched greedy decoding with ``model.encode`` / ``model.decode`` (exercise 1's interface;
    ``src`` as the model was trained on it, ending in EOS):
    encode once, start every row at [BOS], append the argmax of the last position's logits, stop
    when every row has produced EOS or after ``max_len`` tokens. Returns each row's tokens before
    its first EOS (without BOS and EOS)."""
    # TODO: memory, src_pad = model.encode(src) once; a (B, 1) tensor of BOS; loop max_len times:
    # TODO: logits = model.decode(ys, memory, src_pad)[:, -1]; append argmax; track finished rows.
    raise NotImplementedError("Exercise 2.7: implement greedy_translate")


def exact_match(model: nn.Module, pairs: list[tuple[list[int], list[int]]], batch_size: int = 256,
                extra: int = 2) -> float:
    """Fraction of pairs whose greedy output equals the target exactly (same tokens, same length),
    decoding at most len(target) + ``extra`` tokens."""
    hits = 0
    for start in range(0, len(pairs), batch_size):
        chunk = pairs[start:start + batch_size]
        src = pad_batch([s for s, _ in chunk], eos=EOS)
        outs = greedy_translate(model, src, max(len(t) for _, t in chunk) + extra)
        hits += sum(o == t for o, (_, t) in zip(outs, chunk))
    return hits / len(pairs)


def train_seq2seq(model: nn.Module, pairs: list[tuple[list[int], list[int]]], steps: int,
                  batch_size: int = 64, warmup: int = 100, factor: float = 1.0, smoothing: float = 0.1,
                  generator: torch.Generator | None = None, time_limit: float | None = None,
                  clip: float = 1.0) -> list[float]:
    """Teacher-forced training with Adam(lr=1, betas=(0.9, 0.98), eps=1e-9) under noam_scheduler
    (d_model from ``model.d_model``), label-smoothed loss, gradient clipping at ``clip``, batches
    from bucket_batches over ``pairs`` (a new epoch when one runs out). Stops after ``steps`` steps
    or ``time_limit`` seconds. Returns the loss of every step."""
    # TODO: per step: src = pad_batch(sources, eos=EOS); tgt = pad_batch(targets, bos=BOS, eos=EOS);
    # TODO: dec_in, labels = teacher_forcing_split(tgt); loss on model(src, dec_in) vs labels;
    # TODO: zero_grad, backward, clip, optimizer step, scheduler step.
    raise NotImplementedError("Exercise 2.8: implement train_seq2seq")
