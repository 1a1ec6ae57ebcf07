"""Exercise 5: grouped-query attention and the KV cache of incremental decoding.

GQA (Ainslie et al. 2023): H query heads share H_kv key/value heads, H_kv dividing H; query head h
reads key/value head h // (H / H_kv). H_kv = H is multi-head attention, H_kv = 1 multi-query
attention (Shazeer 2019). It shrinks the KV cache, whose size in bytes is

    2 (K and V) * n_layers * H_kv * head_dim * T (tokens cached) * B * bytes_per_element.

Incremental decoding: a causal decoder's keys and values for positions < t never change when
token t arrives, so keep them (the cache) and compute only the new token's q, k, v. The logits
must be those of recomputing the whole sequence, at every step, up to float rounding (the same
sums in a different order: about 1e-6 in float32, 1e-15 in float64); the tests check this in float64.

Shapes: B batch, T tokens, H query heads, H_kv key/value heads, D head dim, E = H * D model dim.

Run the checks with:  make test-lab LAB=phase2_intermediate/lab1_attention EX=5
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def repeat_kv(x: torch.Tensor, n_rep: int) -> torch.Tensor:
    """(B, H_kv, T, D) -> (B, H_kv * n_rep, T, D): each key/value head repeated n_rep times IN PLACE ORDER.

    Output head h is input head h // n_rep (heads 0,0,0,1,1,1 for n_rep = 3), the grouping of
    F.sdpa's ``enable_gqa=True`` and of LLaMA's reference code. n_rep = 1 returns x itself.
    """
    # BEGIN SOLUTION
    # TODO: torch.repeat_interleave along the head dim (or expand a new dim after it, then
    # TODO: reshape). Tensor.repeat would tile the heads 0,1,0,1,...: the wrong grouping.
    if n_rep == 1:
        return x
    b, h_kv, t, d = x.shape
    return x[:, :, None].expand(b, h_kv, n_rep, t, d).reshape(b, h_kv * n_rep, t, d)
    # END SOLUTION


def grouped_query_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                            attn_mask: torch.Tensor | None = None, is_causal: bool = False) -> torch.Tensor:
    """q (B, H, T_q, D), k and v (B, H_kv, T_k, D) -> (B, H, T_q, D), equal to
    ``F.scaled_dot_product_attention(q, k, v, attn_mask, is_causal=is_causal, enable_gqa=True)``.

    attn_mask: boolean, True = attend, broadcasting to (B, H, T_q, T_k). Raises ValueError when
    H_kv does not divide H. (You may call F.sdpa, but not with enable_gqa: the grouping is yours.)
    """
    # BEGIN SOLUTION
    # TODO: check the head counts, repeat k and v to H heads with repeat_kv, then ordinary
    # TODO: scaled dot-product attention.
    h, h_kv = q.size(1), k.size(1)
    if h_kv == 0 or h % h_kv:
        raise ValueError(f"grouped_query_attention: {h_kv} key/value heads do not divide {h} query heads")
    k, v = repeat_kv(k, h // h_kv), repeat_kv(v, h // h_kv)
    return F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, is_causal=is_causal)
    # END SOLUTION


def kv_cache_bytes(n_layers: int, n_kv_heads: int, head_dim: int, seq_len: int, batch: int = 1,
                   bytes_per_element: int = 2) -> int:
    """Bytes of the K and V caches of a decoder: the formula in the module docstring."""
    # BEGIN SOLUTION
    # TODO: one K and one V tensor (B, H_kv, T, D) per layer.
    return 2 * n_layers * n_kv_heads * head_dim * seq_len * batch * bytes_per_element
    # END SOLUTION


class KVCache:
    """Preallocated keys and values of ONE attention layer: ``k`` and ``v`` of shape (B, H_kv, max_len, D).

    ``length`` tokens are filled. ``update(k_new, v_new)`` writes (B, H_kv, T_new, D) at positions
    length ... length + T_new - 1 and returns the filled part (B, H_kv, length + T_new, D) of both.
    Writing past max_len raises ValueError.
    """

    def __init__(self, batch: int, n_kv_heads: int, max_len: int, head_dim: int,
                 dtype: torch.dtype = torch.float32, device: torch.device | str | None = None) -> None:
        self.k = torch.zeros(batch, n_kv_heads, max_len, head_dim, dtype=dtype, device=device)
        self.v = torch.zeros_like(self.k)
        self.length = 0

    @property
    def max_len(self) -> int:
        return self.k.size(2)

    def nbytes(self) -> int:
        """Bytes held by the two buffers (the whole preallocation, filled or not)."""
        return self.k.numel() * self.k.element_size() + self.v.numel() * self.v.element_size()

    def update(self, k_new: torch.Tensor, v_new: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # BEGIN SOLUTION
        # TODO: refuse to overflow; copy the new entries into self.k / self.v at [length, length + T_new);
        # TODO: advance length; return the filled prefixes [0, length) (views, not copies).
        t_new = k_new.size(2)
        end = self.length + t_new
        if end > self.max_len:
            raise ValueError(f"KVCache.update: {end} tokens would exceed max_len={self.max_len}")
        self.k[:, :, self.length:end] = k_new
        self.v[:, :, self.length:end] = v_new
        self.length = end
        return self.k[:, :, :end], self.v[:, :, :end]
        # END SOLUTION


def rope(x: torch.Tensor, positions: torch.Tensor, base: float = 10000.0) -> torch.Tensor:
    """Rotary position embedding (given; lab 2.2 derives it). x (B, H, T, D), D even; positions (T,) ints.

    Channel pairs (i, i + D/2) of the token at position p are rotated by the angle p * base^(-2i/D)
    (the "rotate half" layout of GPT-NeoX and Hugging Face's LLaMA). So q.k depends only on the
    DIFFERENCE of the two positions, and a key must be rotated by ITS OWN position, once.
    """
    d = x.size(-1)
    inv_freq = base ** (-torch.arange(0, d // 2, dtype=torch.float64, device=x.device) * 2 / d)
    angles = positions.to(torch.float64).unsqueeze(-1) * inv_freq  # (T, D/2)
    cos, sin = angles.cos().to(x.dtype), angles.sin().to(x.dtype)
    x1, x2 = x[..., : d // 2], x[..., d // 2:]
    return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=-1)


class CausalSelfAttention(nn.Module):
    """Causal GQA self-attention with RoPE and an optional KV cache (LLaMA's layout, no biases).

    wq: E -> H * D, wk and wv: E -> H_kv * D, wo: H * D -> E, with D = dim // n_heads.
    """

    def __init__(self, dim: int, n_heads: int, n_kv_heads: int | None = None) -> None:
        super().__init__()
        self.n_heads = n_heads
        self.n_kv_heads = n_heads if n_kv_heads is None else n_kv_heads
        if dim % n_heads or n_heads % self.n_kv_heads:
            raise ValueError(f"dim={dim}, n_heads={n_heads}, n_kv_heads={self.n_kv_heads}: need n_heads | dim and n_kv_heads | n_heads")
        self.head_dim = dim // n_heads
        self.wq = nn.Linear(dim, n_heads * self.head_dim, bias=False)
        self.wk = nn.Linear(dim, self.n_kv_heads * self.head_dim, bias=False)
        self.wv = nn.Linear(dim, self.n_kv_heads * self.head_dim, bias=False)
        self.wo = nn.Linear(n_heads * self.head_dim, dim, bias=False)

    def forward(self, x: torch.Tensor, start_pos: int = 0, cache: KVCache | None = None) -> torch.Tensor:
        """x (B, T, E): the tokens at positions start_pos ... start_pos + T - 1 -> (B, T, E).

        With a cache holding the keys/values of positions 0 ... start_pos - 1, the new tokens attend
        to all of those and causally among themselves. Without a cache, start_pos must be 0.
        """
        # BEGIN SOLUTION
        # TODO: project and split into heads (q: H heads, k and v: H_kv heads); rotate q and k by
        # TODO: THEIR positions (start_pos + 0 .. T-1) with rope; only then append k, v to the cache;
        # TODO: the T new queries see the T_k cached + new keys with a causal mask aligned at the
        # TODO: bottom-right (offset T_k - T); grouped_query_attention; merge heads; wo.
        b, t, _ = x.shape
        q = self.wq(x).view(b, t, self.n_heads, self.head_dim).transpose(1, 2)
        k = self.wk(x).view(b, t, self.n_kv_heads, self.head_dim).transpose(1, 2)
        v = self.wv(x).view(b, t, self.n_kv_heads, self.head_dim).transpose(1, 2)
        positions = torch.arange(start_pos, start_pos + t, device=x.device)
        q, k = rope(q, positions), rope(k, positions)
        if cache is not None:
            if cache.length != start_pos:
                raise ValueError(f"the cache holds {cache.length} tokens but start_pos={start_pos}")
            k, v = cache.update(k, v)
        elif start_pos != 0:
            raise ValueError("start_pos > 0 needs the cache of the earlier positions")
        t_k = k.size(2)
        i = torch.arange(t, device=x.device).unsqueeze(1) + (t_k - t)
        mask = torch.arange(t_k, device=x.device).unsqueeze(0) <= i
        out = grouped_query_attention(q, k, v, attn_mask=mask)
        return self.wo(out.transpose(1, 2).reshape(b, t, self.n_heads * self.head_dim))
        # END SOLUTION


class TinyDecoder(nn.Module):
    """A small LLaMA-shaped decoder (given): embedding, pre-norm blocks of GQA attention and an MLP, a head.

    forward(tokens (B, T), start_pos, caches) -> logits (B, T, vocab); ``caches`` is one KVCache per
    layer (see :meth:`new_caches`) or None for a full recompute.
    """

    def __init__(self, vocab: int = 64, dim: int = 64, n_layers: int = 2, n_heads: int = 4,
                 n_kv_heads: int = 2, max_len: int = 512) -> None:
        super().__init__()
        self.max_len = max_len
        self.tok = nn.Embedding(vocab, dim)
        self.norms1 = nn.ModuleList(nn.LayerNorm(dim) for _ in range(n_layers))
        self.attns = nn.ModuleList(CausalSelfAttention(dim, n_heads, n_kv_heads) for _ in range(n_layers))
        self.norms2 = nn.ModuleList(nn.LayerNorm(dim) for _ in range(n_layers))
        self.mlps = nn.ModuleList(nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim)) for _ in range(n_layers))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, vocab, bias=False)

    def new_caches(self, batch: int) -> list[KVCache]:
        p = self.head.weight
        return [KVCache(batch, a.n_kv_heads, self.max_len, a.head_dim, dtype=p.dtype, device=p.device) for a in self.attns]

    def forward(self, tokens: torch.Tensor, start_pos: int = 0, caches: list[KVCache] | None = None) -> torch.Tensor:
        x = self.tok(tokens)
        for i, attn in enumerate(self.attns):
            x = x + attn(self.norms1[i](x), start_pos, None if caches is None else caches[i])
            x = x + self.mlps[i](self.norms2[i](x))
        return self.head(self.norm(x))


def incremental_logits(model: TinyDecoder, tokens: torch.Tensor, prefill: int = 1) -> torch.Tensor:
    """Logits (B, T, vocab) of ``tokens`` (B, T) computed the way a server decodes.

    The first ``prefill`` tokens in one call with fresh caches (start_pos 0), then the rest ONE
    token per call, each with start_pos = its position and the same caches. Must equal
    ``model(tokens)`` (the full recompute) at every position.
    """
    # BEGIN SOLUTION
    # TODO: caches = model.new_caches(B); one call on tokens[:, :prefill]; then a loop over the
    # TODO: remaining positions t, calling the model on tokens[:, t:t+1] with start_pos=t; cat.
    caches = model.new_caches(tokens.size(0))
    outs = [model(tokens[:, :prefill], 0, caches)]
    for t in range(prefill, tokens.size(1)):
        outs.append(model(tokens[:, t:t + 1], t, caches))
    return torch.cat(outs, dim=1)
    # END SOLUTION


@torch.no_grad()
def generate(model: TinyDecoder, prompt: torch.Tensor, n_new: int, use_cache: bool = True) -> torch.Tensor:
    """Greedy decoding: prompt (B, T_0) -> (B, T_0 + n_new), each new token the argmax of the last logits.

    use_cache=True: prefill the prompt once, then feed one token per step with the caches.
    use_cache=False: recompute the whole sequence every step. Both return the same tokens.
    """
    # BEGIN SOLUTION
    # TODO: the same loop twice: with the cache only the newest token goes in (start_pos = its
    # TODO: position); without it the whole sequence so far. Append argmax(logits[:, -1]).
    tokens = prompt
    if use_cache:
        caches = model.new_caches(prompt.size(0))
        logits = model(prompt, 0, caches)
        for _ in range(n_new):
            nxt = logits[:, -1].argmax(dim=-1, keepdim=True)
            tokens = torch.cat([tokens, nxt], dim=1)
            if tokens.size(1) - prompt.size(1) < n_new:
                logits = model(nxt, tokens.size(1) - 1, caches)
        return tokens
    for _ in range(n_new):
        nxt = model(tokens)[:, -1].argmax(dim=-1, keepdim=True)
        tokens = torch.cat([tokens, nxt], dim=1)
    return tokens
    # END SOLUTION


def gqa_cache_saving(n_layers: int, n_heads: int, n_kv_heads: int, head_dim: int, seq_len: int,
                     bytes_per_element: int = 2) -> dict[str, int | float]:
    """KV-cache bytes with H_kv heads versus full multi-head (H_kv = H), batch 1, and their ratio (given)."""
    gqa = kv_cache_bytes(n_layers, n_kv_heads, head_dim, seq_len, 1, bytes_per_element)
    mha = kv_cache_bytes(n_layers, n_heads, head_dim, seq_len, 1, bytes_per_element)
    return {"gqa_bytes": gqa, "mha_bytes": mha, "ratio": mha / gqa, "bytes_per_token": gqa // seq_len}
