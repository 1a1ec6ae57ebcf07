"""Exercise 3: decoding — greedy, beam search, and the samplers (temperature, top-k, top-p).

Every decoder here talks to the model through one function,

    next_log_probs(prefixes: LongTensor (N, t)) -> (N, V) log-probabilities of the next token,

so the same code decodes the seq2seq model of exercise 2 (prefixes start with BOS), the GPT of
exercise 4, or a table of known probabilities in the tests, where the exact answer can be
enumerated.

Beam search keeps the ``beam_size`` highest-scoring live prefixes. A prefix that emits EOS is
FINISHED: it moves to the finished list and is never expanded again. The final choice
normalises for length (Wu et al. 2016, GNMT, section 7), because a sum of log-probabilities only
falls as a sequence grows:

    score(y) = log p(y) / lp(|y|),   lp(n) = ((5 + n) / 6) ** alpha,   |y| counts EOS, not BOS

alpha = 0 is the raw log-probability. A sequence that reaches ``max_len`` tokens without EOS is
scored as it stands. With beam_size >= V ** max_len nothing is pruned and beam search returns the
exact argmax of the score over every sequence of at most max_len tokens.

The samplers turn logits (..., V) into the distribution they draw from:
    temperature T > 0     softmax(logits / T)
    top-k                 keep the k largest logits (and every logit tied with the k-th), renormalise
    top-p (nucleus)       sort descending; keep the SMALLEST prefix whose probability mass is >= p
                          (the token that crosses p is kept) and every token tied with the last
                          kept one; renormalise (Holtzman et al. 2020)
Temperature is applied first, then top-k, then top-p, as Hugging Face's generate does.

Run the checks with:  make test-lab LAB=2.3 EX=3
"""
from __future__ import annotations

from typing import Callable

import torch

LogProbFn = Callable[[torch.Tensor], torch.Tensor]


def greedy_decode(next_log_probs: LogProbFn, prefix: torch.Tensor, max_new_tokens: int,
                  eos_id: int | None = None) -> torch.Tensor:
    """prefix (N, t0) -> (N, t0 + n): append argmax tokens one at a time, n <= max_new_tokens.
    Rows that emit ``eos_id`` during decoding keep emitting it (an EOS inside ``prefix`` does not
    count); the loop stops early once every row has.
    Ties of the argmax go to the lowest token id (torch.argmax's rule)."""
    # BEGIN SOLUTION
    # TODO: loop: scores = next_log_probs(seq); tok = argmax; rows already done get eos_id instead.
    seq = prefix
    done = torch.zeros(prefix.shape[0], dtype=torch.bool, device=prefix.device)
    for _ in range(max_new_tokens):
        tok = next_log_probs(seq).argmax(-1)
        if eos_id is not None:
            tok = torch.where(done, torch.full_like(tok, eos_id), tok)
            done |= tok == eos_id
        seq = torch.cat([seq, tok[:, None]], dim=1)
        if eos_id is not None and done.all():
            break
    return seq
    # END SOLUTION


def length_penalty(n: int, alpha: float) -> float:
    """GNMT's lp(n) = ((5 + n) / 6) ** alpha; 1 for alpha = 0 and for n = 1."""
    # BEGIN SOLUTION
    # TODO: the formula of the docstring, in floating point.
    return ((5.0 + n) / 6.0) ** alpha
    # END SOLUTION


def beam_search(next_log_probs: LogProbFn, bos_id: int, eos_id: int, beam_size: int, max_len: int,
                alpha: float = 0.0) -> list[tuple[list[int], float]]:
    """Every hypothesis beam search finished with, best first: (tokens, score), tokens without
    BOS and with EOS when the hypothesis emitted one, score = log p / length_penalty(len, alpha).

    One step: score every (live prefix, next token) by its summed log-probability, keep the
    ``beam_size`` best; those ending in EOS are finished (recorded, not expanded), the rest stay
    live. Stop when no prefix is live or after ``max_len`` tokens, when the live prefixes are
    recorded as they stand. Ties keep the candidate that comes first in (beam order, token id).
    """
    # BEGIN SOLUTION
    # TODO: live = [([], 0.0)]; each step: one batched call of next_log_probs on [BOS] + prefix
    # TODO: rows, candidates = every (prefix + [tok], logp + lp[tok]); the top beam_size by logp.
    # TODO: EOS candidates -> finished with their NORMALISED score; the rest -> live.
    # TODO: Normalise only when a hypothesis is final; prune on the raw sum.
    live: list[tuple[list[int], float]] = [([], 0.0)]
    finished: list[tuple[list[int], float]] = []
    for _ in range(max_len):
        if not live:
            break
        rows = torch.tensor([[bos_id] + toks for toks, _ in live], dtype=torch.long)
        lp = next_log_probs(rows).double()
        total = torch.tensor([s for _, s in live], dtype=torch.float64)[:, None] + lp
        k = min(beam_size, total.numel())
        flat = total.flatten()
        order = torch.sort(flat, descending=True, stable=True).indices[:k].tolist()
        live_next = []
        v = lp.shape[1]
        for i in order:
            beam, tok = divmod(i, v)
            toks = live[beam][0] + [tok]
            if tok == eos_id:
                finished.append((toks, flat[i].item() / length_penalty(len(toks), alpha)))
            else:
                live_next.append((toks, flat[i].item()))
        live = live_next
    finished += [(toks, s / length_penalty(len(toks), alpha)) for toks, s in live]
    return sorted(finished, key=lambda h: -h[1])
    # END SOLUTION


def apply_temperature(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """logits / temperature; ValueError for temperature <= 0 (T -> 0 is greedy: call argmax)."""
    # BEGIN SOLUTION
    # TODO: check the argument, then divide (a high temperature flattens, a low one sharpens).
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature} (use greedy decoding for T = 0)")
    return logits / temperature
    # END SOLUTION


def top_k_filter(logits: torch.Tensor, k: int) -> torch.Tensor:
    """logits (..., V) with every entry below the k-th largest of its row set to -inf (ties with
    the k-th are kept). k >= V: unchanged. ValueError for k < 1."""
    # BEGIN SOLUTION
    # TODO: kth = torch.topk(logits, k).values[..., -1:]; mask logits < kth.
    if k < 1:
        raise ValueError(f"top-k needs k >= 1, got {k}")
    if k >= logits.shape[-1]:
        return logits.clone()
    kth = torch.topk(logits, k, dim=-1).values[..., -1:]
    return logits.masked_fill(logits < kth, float("-inf"))
    # END SOLUTION


def top_p_filter(logits: torch.Tensor, p: float) -> torch.Tensor:
    """logits (..., V) with the tokens outside the nucleus set to -inf. The nucleus of a row is
    the smallest set of most probable tokens whose softmax mass is >= p, plus every token whose
    probability equals that of the least probable member (ties). p = 1 keeps every token.
    ValueError unless 0 < p <= 1."""
    # BEGIN SOLUTION
    # TODO: probs = softmax; sort descending; mass BEFORE each token = cumsum - probs. A token is
    # TODO: in the nucleus when the mass before it is < p (so the one that crosses p is kept).
    # TODO: The cut-off probability is the smallest kept one; keep every token with probs >= it.
    if not 0.0 < p <= 1.0:
        raise ValueError(f"top-p needs 0 < p <= 1, got {p}")
    if p == 1.0:  # the mass before a tiny last token can round to 1.0: keep every token outright
        return logits.clone()
    probs = torch.softmax(logits.double(), dim=-1)
    sorted_p, _ = probs.sort(dim=-1, descending=True)
    before = sorted_p.cumsum(dim=-1) - sorted_p
    kept = before < p
    cutoff = sorted_p.masked_fill(~kept, float("inf")).amin(dim=-1, keepdim=True)
    return logits.masked_fill(probs < cutoff, float("-inf"))
    # END SOLUTION


def sampling_distribution(logits: torch.Tensor, temperature: float = 1.0, top_k: int | None = None,
                          top_p: float | None = None) -> torch.Tensor:
    """The distribution (..., V) that ``sample`` draws from: temperature, then top-k, then top-p
    on the tempered logits, then softmax."""
    # BEGIN SOLUTION
    # TODO: the three filters of this file in the docstring's order, each skipped when its argument is None.
    z = apply_temperature(logits, temperature)
    if top_k is not None:
        z = top_k_filter(z, top_k)
    if top_p is not None:
        z = top_p_filter(z, top_p)
    return torch.softmax(z, dim=-1)
    # END SOLUTION


def sample(logits: torch.Tensor, temperature: float = 1.0, top_k: int | None = None,
           top_p: float | None = None, generator: torch.Generator | None = None) -> torch.Tensor:
    """One token per row of logits (N, V) -> (N,): torch.multinomial(sampling_distribution(...),
    1, generator=generator). Seeded generator -> reproducible draws."""
    # BEGIN SOLUTION
    # TODO: multinomial wants float probabilities; squeeze the sample dimension.
    probs = sampling_distribution(logits, temperature, top_k, top_p)
    return torch.multinomial(probs.float(), 1, generator=generator).squeeze(-1)
    # END SOLUTION
