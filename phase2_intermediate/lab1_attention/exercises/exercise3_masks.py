# Exercise stub generated from solution/exercise3_masks.py by `make stubs` [fingerprint 60089e361137]
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
    # TODO: compare a column of query positions with a row of key positions (broadcasting), or use
    # TODO: torch.ones(...).tril(diagonal=offset). The diagonal (j == i) is ALLOWED.
    raise NotImplementedError("Exercise 3.1: implement causal_mask")


def padding_mask(lengths: torch.Tensor | Sequence[int], t: int) -> torch.Tensor:
    """(B, 1, 1, T) bool, True at key positions j < lengths[b] (right padding).

    The two singleton dims broadcast over heads and queries. Raises ValueError if a length
    is negative or larger than t.
    """
    # TODO: positions (T,) compared with lengths (B, 1); then add the two broadcast dims.
    raise NotImplementedError("Exercise 3.2: implement padding_mask")


def sliding_window_mask(t: int, window: int, device: torch.device | str | None = None) -> torch.Tensor:
    """(T, T) bool: causal AND local. Query i sees keys i - window + 1 ... i (``window`` keys, itself included).

    window >= t is the plain causal mask; window must be >= 1 (ValueError otherwise).
    """
    # TODO: two conditions on d = i - j: d >= 0 (causal) and d < window (local).
    raise NotImplementedError("Exercise 3.3: implement sliding_window_mask")


def document_ids(lengths: Sequence[int], t: int | None = None) -> torch.Tensor:
    """Document index of every position of a packed row: lengths [3, 2] -> [0, 0, 0, 1, 1].

    With ``t`` > sum(lengths) the row is padded with -1 (a document id no real token has).
    """
    # TODO: repeat_interleave the document indices by their lengths; pad with -1 up to t.
    raise NotImplementedError("Exercise 3.4: implement document_ids")


def document_mask(doc_ids: torch.Tensor, causal: bool = True) -> torch.Tensor:
    """doc_ids (B, T) or (T,) -> (B, 1, T, T) bool: query i sees key j iff they share a document (and j <= i when causal).

    Positions whose id is -1 (padding) see nothing and are seen by nothing.
    """
    # TODO: compare doc_ids[:, :, None] with doc_ids[:, None, :] (broadcasting to (B, T, T)),
    # TODO: exclude id -1, AND the causal mask when asked, then add the head dim.
    raise NotImplementedError("Exercise 3.5: implement document_mask")


def combine_masks(*masks: torch.Tensor | None) -> torch.Tensor | None:
    """Logical AND of the boolean masks given (broadcasting); None entries are skipped; all None -> None."""
    # TODO: AND them together; the result broadcasts to every shape given.
    raise NotImplementedError("Exercise 3.6: implement combine_masks")


def pack_documents(docs: Sequence[torch.Tensor], t: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Concatenate documents (each (T_i, ...)) into one row: (sum T_i or t, ...) plus its document ids (T,).

    Padding rows (when t > sum T_i) are zeros with id -1.
    """
    # TODO: torch.cat along dim 0, zero padding up to t, and document_ids of the lengths.
    raise NotImplementedError("Exercise 3.7: implement pack_documents")
