"""Exercise 3: the masks of real batches, as booleans with True = "may attend" (F.sdpa's convention).

Every mask here is a boolean tensor that broadcasts against the scores (B, H, T_q, T_k):

* causal          (T_q, T_k): query i sees key j when j <= i + offset;
* padding         (B, 1, 1, T_k): key j of row b is real when j < lengths[b];
* sliding window  (T, T): causal, and only the last ``window`` keys (j > i - window);
* document        (B, 1, T, T): several documents packed in one row see only their own tokens;

and :func:`combine_masks` keeps what every mask allows. A packed batch with a causal document mask
gives exactly what running each document on its own would (the tests check that).

Run the checks with:  make test-lab LAB=phase2_intermediate/lab1_attention EX=3
"""
from __future__ import annotations

from typing import Sequence

import torch


def causal_mask(t_q: int, t_k: int | None = None, offset: int = 0, device: torch.device | str | None = None) -> torch.Tensor:
    """(T_q, T_k) bool, True where key j <= query i + offset.

    offset = 0 is F.sdpa's ``is_causal`` (top-left aligned). offset = T_k - T_q aligns the last
    query with the last key (bottom-right), which is what decoding with a cache needs: the T_q new
    queries sit at positions T_k - T_q ... T_k - 1. t_k defaults to t_q.
    """
    # BEGIN SOLUTION
    # TODO: compare a column of query positions with a row of key positions (broadcasting), or use
    # TODO: torch.ones(...).tril(diagonal=offset). The diagonal (j == i) is ALLOWED.
    t_k = t_q if t_k is None else t_k
    i = torch.arange(t_q, device=device).unsqueeze(1)
    j = torch.arange(t_k, device=device).unsqueeze(0)
    return j <= i + offset
    # END SOLUTION


def padding_mask(lengths: torch.Tensor | Sequence[int], t: int) -> torch.Tensor:
    """(B, 1, 1, T) bool, True at key positions j < lengths[b] (right padding).

    The two singleton dims broadcast over heads and queries. Raises ValueError if a length
    is negative or larger than t.
    """
    # BEGIN SOLUTION
    # TODO: positions (T,) compared with lengths (B, 1); then add the two broadcast dims.
    lengths = torch.as_tensor(lengths)
    if (lengths < 0).any() or (lengths > t).any():
        raise ValueError(f"padding_mask: lengths must lie in 0..{t}, got {lengths.tolist()}")
    keep = torch.arange(t, device=lengths.device).unsqueeze(0) < lengths.unsqueeze(1)
    return keep[:, None, None, :]
    # END SOLUTION


def sliding_window_mask(t: int, window: int, device: torch.device | str | None = None) -> torch.Tensor:
    """(T, T) bool: causal AND local. Query i sees keys i - window + 1 ... i (``window`` keys, itself included).

    window >= t is the plain causal mask; window must be >= 1 (ValueError otherwise).
    """
    # BEGIN SOLUTION
    # TODO: two conditions on d = i - j: d >= 0 (causal) and d < window (local).
    if window < 1:
        raise ValueError(f"sliding_window_mask: window must be >= 1, got {window}")
    i = torch.arange(t, device=device).unsqueeze(1)
    j = torch.arange(t, device=device).unsqueeze(0)
    d = i - j
    return (d >= 0) & (d < window)
    # END SOLUTION


def document_ids(lengths: Sequence[int], t: int | None = None) -> torch.Tensor:
    """Document index of every position of a packed row: lengths [3, 2] -> [0, 0, 0, 1, 1].

    With ``t`` > sum(lengths) the row is padded with -1 (a document id no real token has).
    """
    # BEGIN SOLUTION
    # TODO: repeat_interleave the document indices by their lengths; pad with -1 up to t.
    ids = torch.repeat_interleave(torch.arange(len(lengths)), torch.as_tensor(lengths, dtype=torch.long))
    if t is not None:
        if t < ids.numel():
            raise ValueError(f"document_ids: the documents are {ids.numel()} tokens long, more than t={t}")
        ids = torch.cat([ids, ids.new_full((t - ids.numel(),), -1)])
    return ids
    # END SOLUTION


def document_mask(doc_ids: torch.Tensor, causal: bool = True) -> torch.Tensor:
    """doc_ids (B, T) or (T,) -> (B, 1, T, T) bool: query i sees key j iff they share a document (and j <= i when causal).

    Positions whose id is -1 (padding) see nothing and are seen by nothing.
    """
    # BEGIN SOLUTION
    # TODO: compare doc_ids[:, :, None] with doc_ids[:, None, :] (broadcasting to (B, T, T)),
    # TODO: exclude id -1, AND the causal mask when asked, then add the head dim.
    if doc_ids.dim() == 1:
        doc_ids = doc_ids.unsqueeze(0)
    same = (doc_ids[:, :, None] == doc_ids[:, None, :]) & (doc_ids[:, :, None] >= 0)
    if causal:
        same = same & causal_mask(doc_ids.size(1), device=doc_ids.device)
    return same.unsqueeze(1)
    # END SOLUTION


def combine_masks(*masks: torch.Tensor | None) -> torch.Tensor | None:
    """Logical AND of the boolean masks given (broadcasting); None entries are skipped; all None -> None."""
    # BEGIN SOLUTION
    # TODO: AND them together; the result broadcasts to every shape given.
    out = None
    for m in masks:
        if m is None:
            continue
        out = m if out is None else out & m
    return out
    # END SOLUTION


def pack_documents(docs: Sequence[torch.Tensor], t: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Concatenate documents (each (T_i, ...)) into one row: (sum T_i or t, ...) plus its document ids (T,).

    Padding rows (when t > sum T_i) are zeros with id -1.
    """
    # BEGIN SOLUTION
    # TODO: torch.cat along dim 0, zero padding up to t, and document_ids of the lengths.
    packed = torch.cat(list(docs), dim=0)
    total = packed.size(0)
    if t is not None and t > total:
        packed = torch.cat([packed, packed.new_zeros((t - total, *packed.shape[1:]))], dim=0)
    return packed, document_ids([d.size(0) for d in docs], t)
    # END SOLUTION
