# Exercise stub generated from solution/exercise2_multihead.py by `make stubs` [fingerprint 7db58d3122af]
"""Exercise 2: multi-head attention with the parameters, state_dict and forward of nn.MultiheadAttention.

Shapes (batch_first=True throughout): B batch, T_q / T_k query and key lengths, E = embed_dim,
H = num_heads, D = E / H the head dim.

    q = query @ W_q^T + b_q          (B, T_q, E)  ->  split into heads  (B, H, T_q, D)
    k = key   @ W_k^T + b_k          (B, T_k, E)  ->                    (B, H, T_k, D)
    v = value @ W_v^T + b_v          (B, T_k, E)  ->                    (B, H, T_k, D)
    o = softmax(q k^T / sqrt(D) + M) v                                  (B, H, T_q, D)
    out = merge_heads(o) @ W_o^T + b_o                                  (B, T_q, E)

nn.MultiheadAttention's masks use the OPPOSITE boolean convention to F.scaled_dot_product_attention:
here True means "this key is NOT allowed" (for both ``key_padding_mask`` and a boolean ``attn_mask``).
Float masks are added to the scores, as everywhere.

Run the checks with:  make test-lab LAB=phase2_intermediate/lab1_attention EX=2
"""
from __future__ import annotations

import math

import torch
from torch import nn


def split_heads(x: torch.Tensor, n_heads: int) -> torch.Tensor:
    """(B, T, H * D) -> (B, H, T, D): head h gets features h*D ... (h+1)*D - 1 of every token.

    Raises ValueError when the last dim is not divisible by ``n_heads``.
    """
    # TODO: view the last dim as (H, D), then move H in front of T. A single reshape straight to
    # TODO: (B, H, T, D) is the classic bug: it mixes tokens into heads (see the README's picture).
    raise NotImplementedError("Exercise 2.1: implement split_heads")


def merge_heads(x: torch.Tensor) -> torch.Tensor:
    """(B, H, T, D) -> (B, T, H * D), the inverse of :func:`split_heads`."""
    # TODO: undo split_heads in reverse order. After a transpose the tensor is not contiguous,
    # TODO: so .view fails; use .reshape (or .contiguous().view).
    raise NotImplementedError("Exercise 2.2: implement merge_heads")


class MultiheadAttention(nn.Module):
    """nn.MultiheadAttention(embed_dim, num_heads, dropout, bias, kdim=kdim, vdim=vdim, batch_first=True).

    Parameters, with nn.MultiheadAttention's names, shapes and state_dict order:

    * kdim == vdim == embed_dim: ``in_proj_weight`` (3E, E) holding [W_q; W_k; W_v] stacked on
      dim 0, and ``q_proj_weight`` / ``k_proj_weight`` / ``v_proj_weight`` registered as None;
    * otherwise: ``q_proj_weight`` (E, E), ``k_proj_weight`` (E, kdim), ``v_proj_weight`` (E, vdim),
      and ``in_proj_weight`` registered as None;
    * ``in_proj_bias`` (3E,) when bias, else registered as None; ``out_proj`` an nn.Linear(E, E, bias).

    Initialisation as PyTorch: xavier_uniform_ for the projection weights, zeros for in_proj_bias
    and out_proj.bias. ``dropout`` is applied to the attention weights in training mode.
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 kdim: int | None = None, vdim: int | None = None) -> None:
        super().__init__()
        # TODO: check embed_dim % num_heads == 0 (ValueError otherwise); store embed_dim, num_heads,
        # TODO: head_dim, dropout, kdim, vdim. Register the parameters in the order the class
        # TODO: docstring lists (it fixes the state_dict order), then call self._reset_parameters().
        raise NotImplementedError("Exercise 2.3: implement MultiheadAttention.__init__")

    def _reset_parameters(self) -> None:
        # TODO: nn.init.xavier_uniform_ on each projection weight that exists; zeros for the biases.
        raise NotImplementedError("Exercise 2.4: implement MultiheadAttention._reset_parameters")

    def project(self, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """query (B, T_q, E), key (B, T_k, kdim), value (B, T_k, vdim) -> q, k, v each (B, T, E).

        q = query W_q^T + b_q and so on, where W_q, W_k, W_v are the three row blocks of
        in_proj_weight (or the separate weights) and b_q, b_k, b_v the thirds of in_proj_bias.
        """
        # TODO: slice the weights (rows 0:E, E:2E, 2E:3E of in_proj_weight) and the bias the same
        # TODO: way; x @ W^T + b for each of the three inputs.
        raise NotImplementedError("Exercise 2.5: implement MultiheadAttention.project")

    def forward(self, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                key_padding_mask: torch.Tensor | None = None, need_weights: bool = True,
                attn_mask: torch.Tensor | None = None, average_attn_weights: bool = True,
                is_causal: bool = False) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Multi-head attention of ``query`` over ``key``/``value``: self-attention when all three are x.

        query: (B, T_q, E); key: (B, T_k, kdim); value: (B, T_k, vdim).
        key_padding_mask: (B, T_k), True (or -inf when float) = that key is padding, ignore it.
        attn_mask: (T_q, T_k) or (B * H, T_q, T_k), True (or -inf) = not allowed; a float mask is added.
        is_causal: a hint in nn.MultiheadAttention, used only with an attn_mask; accepted and ignored here.
        Returns (out (B, T_q, E), weights): weights are (B, T_q, T_k) averaged over heads when
        average_attn_weights, else (B, H, T_q, T_k); None when need_weights is False. Weights are the
        softmax probabilities after dropout, as nn.MultiheadAttention returns them.
        """
        # TODO: project, split into heads, build ONE additive mask of shape broadcastable to
        # TODO: (B, H, T_q, T_k) from attn_mask and key_padding_mask (remember: True = masked
        # TODO: here), softmax over the keys, dropout in training, weights @ v, merge heads,
        # TODO: out_proj. Average the weights over the head dim only when asked.
        raise NotImplementedError("Exercise 2.6: implement MultiheadAttention.forward")
