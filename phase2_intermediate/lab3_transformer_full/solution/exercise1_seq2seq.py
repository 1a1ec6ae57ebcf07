"""Exercise 1: the decoder layer and the full encoder-decoder, parameter for parameter nn.Transformer.

Your ``Transformer`` has the submodules and parameter names of
``torch.nn.Transformer(d_model, nhead, num_encoder_layers, num_decoder_layers, dim_feedforward,
dropout, activation, layer_norm_eps=..., batch_first=True, norm_first=..., bias=...)``, so
``model.load_state_dict(torch_model.state_dict())`` works and the outputs then agree:

    encoder.layers.<i>.{self_attn, linear1, linear2, norm1, norm2}       encoder.norm
    decoder.layers.<i>.{self_attn, multihead_attn, linear1, linear2, norm1, norm2, norm3}   decoder.norm
    *_attn.in_proj_weight (3d, d) = [W_q; W_k; W_v], in_proj_bias (3d,), out_proj Linear(d, d)

nn.Transformer puts a final LayerNorm after BOTH stacks whatever ``norm_first`` is. Masks follow
PyTorch's conventions (lab 2.2): a bool mask or key-padding mask is True where attention is NOT
allowed; a float mask is added to the scores. In the decoder:

    self-attention   queries, keys, values = the target so far; ``tgt_mask`` is the causal mask
    cross-attention  queries = the decoder's states, keys = values = ``memory`` (the encoder output);
                     ``memory_key_padding_mask`` hides the source's padding

``Seq2SeqTransformer`` wraps the core as in Vaswani et al. (2017, section 3.4): one embedding
matrix shared by the source, the target and the pre-softmax projection (logits = h E^T), the
embeddings multiplied by sqrt(d_model), sinusoidal positions added.

Run the checks with:  make test-lab LAB=2.3 EX=1
"""
from __future__ import annotations

import copy
import math

import torch
import torch.nn.functional as F
from torch import nn


def causal_mask(t: int, device: torch.device | str | None = None) -> torch.Tensor:
    """(t, t) bool, True where attention is NOT allowed: above the diagonal (position i may see
    keys 0..i). The bool form of nn.Transformer.generate_square_subsequent_mask(t)."""
    # BEGIN SOLUTION
    # TODO: ones(t, t, bool) and keep the strict upper triangle.
    return torch.ones(t, t, dtype=torch.bool, device=device).triu(1)
    # END SOLUTION


class MultiheadAttention(nn.Module):
    """nn.MultiheadAttention's layout (batch_first) for self- AND cross-attention.

    forward(query (B, Tq, d), key (B, Tk, d), value (B, Tk, d), attn_mask (Tq, Tk) bool/float or
    None, key_padding_mask (B, Tk) bool or None) -> (B, Tq, d). q = query W_q^T + b_q, k = key W_k^T
    + b_k, v = value W_v^T + b_v with W_q, W_k, W_v the three row blocks of in_proj_weight; heads
    split, attended (F.scaled_dot_product_attention is allowed), merged, out_proj.
    """

    def __init__(self, d_model: int, n_heads: int, bias: bool = True):
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"d_model = {d_model} is not a multiple of n_heads = {n_heads}")
        self.d_model, self.n_heads = d_model, n_heads
        self.in_proj_weight = nn.Parameter(torch.empty(3 * d_model, d_model))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * d_model)) if bias else None
        self.out_proj = nn.Linear(d_model, d_model, bias=bias)
        nn.init.xavier_uniform_(self.in_proj_weight)
        if bias:
            nn.init.zeros_(self.out_proj.bias)

    def forward(self, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                attn_mask: torch.Tensor | None = None,
                key_padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        # BEGIN SOLUTION
        # TODO: split in_proj_weight (and the bias) into three (d, d) blocks and project query, key
        # TODO: and value SEPARATELY (in cross-attention key and value come from the memory).
        # TODO: (B, T, d) -> (B, H, T, d/H); one mask for F.sdpa (its bool convention is True =
        # TODO: attend): invert bool masks, keep float ones additive, fold in the padding (B, 1, 1, Tk).
        b, tq, d = query.shape
        tk, h = key.shape[1], self.n_heads
        w_q, w_k, w_v = self.in_proj_weight.chunk(3)
        b_q, b_k, b_v = self.in_proj_bias.chunk(3) if self.in_proj_bias is not None else (None,) * 3
        q = F.linear(query, w_q, b_q).view(b, tq, h, d // h).transpose(1, 2)
        k = F.linear(key, w_k, b_k).view(b, tk, h, d // h).transpose(1, 2)
        v = F.linear(value, w_v, b_v).view(b, tk, h, d // h).transpose(1, 2)
        mask = None
        if attn_mask is not None:
            mask = ~attn_mask if attn_mask.dtype == torch.bool else attn_mask.to(query.dtype)
        if key_padding_mask is not None:
            keep = ~key_padding_mask[:, None, None, :]
            if mask is None:
                mask = keep
            elif mask.dtype == torch.bool:
                mask = mask & keep
            else:
                mask = mask.masked_fill(~keep, float("-inf"))
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        return self.out_proj(out.transpose(1, 2).reshape(b, tq, d))
        # END SOLUTION


def _activation(name: str):
    if name not in ("relu", "gelu"):
        raise ValueError(f"activation must be 'relu' or 'gelu', got {name!r}")
    return F.relu if name == "relu" else F.gelu


class EncoderLayer(nn.Module):
    """nn.TransformerEncoderLayer (lab 2.2, exercise 3) on this file's attention.

    norm_first=False: x = norm1(x + sa(x)); x = norm2(x + ff(x)).  norm_first=True: x = x + sa(norm1(x));
    x = x + ff(norm2(x)). sa = dropout1(self_attn(x, x, x, src_mask, src_key_padding_mask)),
    ff = dropout2(linear2(dropout(act(linear1(x))))).
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: str = "relu", layer_norm_eps: float = 1e-5, norm_first: bool = False,
                 bias: bool = True):
        super().__init__()
        self.activation = _activation(activation)
        self.self_attn = MultiheadAttention(d_model, nhead, bias=bias)
        self.linear1 = nn.Linear(d_model, dim_feedforward, bias=bias)
        self.linear2 = nn.Linear(dim_feedforward, d_model, bias=bias)
        self.norm1 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.norm2 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.dropout, self.dropout1, self.dropout2 = nn.Dropout(dropout), nn.Dropout(dropout), nn.Dropout(dropout)
        self.norm_first = norm_first

    def forward(self, src: torch.Tensor, src_mask: torch.Tensor | None = None,
                src_key_padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        # BEGIN SOLUTION
        # TODO: lab 2.2's layer, with self_attn(x, x, x, ...) since this attention takes q, k, v.
        def sa(x):
            return self.dropout1(self.self_attn(x, x, x, src_mask, src_key_padding_mask))

        def ff(x):
            return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))

        x = src
        if self.norm_first:
            x = x + sa(self.norm1(x))
            return x + ff(self.norm2(x))
        x = self.norm1(x + sa(x))
        return self.norm2(x + ff(x))
        # END SOLUTION


class DecoderLayer(nn.Module):
    """nn.TransformerDecoderLayer(batch_first=True): masked self-attention, cross-attention, FFN.

    norm_first=False (post-norm):  x = norm1(x + sa(x)); x = norm2(x + ca(x, memory)); x = norm3(x + ff(x))
    norm_first=True  (pre-norm):   x = x + sa(norm1(x)); x = x + ca(norm2(x), memory); x = x + ff(norm3(x))
    sa(x) = dropout1(self_attn(x, x, x, tgt_mask, tgt_key_padding_mask))
    ca(x, m) = dropout2(multihead_attn(x, m, m, memory_mask, memory_key_padding_mask))
    ff(x) = dropout3(linear2(dropout(act(linear1(x)))))
    The memory is NOT normalised by the decoder (the encoder's final norm did that).
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: str = "relu", layer_norm_eps: float = 1e-5, norm_first: bool = False,
                 bias: bool = True):
        super().__init__()
        self.activation = _activation(activation)
        self.self_attn = MultiheadAttention(d_model, nhead, bias=bias)
        self.multihead_attn = MultiheadAttention(d_model, nhead, bias=bias)
        self.linear1 = nn.Linear(d_model, dim_feedforward, bias=bias)
        self.linear2 = nn.Linear(dim_feedforward, d_model, bias=bias)
        self.norm1 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.norm2 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.norm3 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.dropout = nn.Dropout(dropout)
        self.dropout1, self.dropout2, self.dropout3 = nn.Dropout(dropout), nn.Dropout(dropout), nn.Dropout(dropout)
        self.norm_first = norm_first

    def forward(self, tgt: torch.Tensor, memory: torch.Tensor, tgt_mask: torch.Tensor | None = None,
                memory_mask: torch.Tensor | None = None, tgt_key_padding_mask: torch.Tensor | None = None,
                memory_key_padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        # BEGIN SOLUTION
        # TODO: the three sublayers of the docstring in order; self-attention sees only the target
        # TODO: (with tgt_mask), cross-attention takes its keys and values from memory.
        def sa(x):
            return self.dropout1(self.self_attn(x, x, x, tgt_mask, tgt_key_padding_mask))

        def ca(x):
            return self.dropout2(self.multihead_attn(x, memory, memory, memory_mask, memory_key_padding_mask))

        def ff(x):
            return self.dropout3(self.linear2(self.dropout(self.activation(self.linear1(x)))))

        x = tgt
        if self.norm_first:
            x = x + sa(self.norm1(x))
            x = x + ca(self.norm2(x))
            return x + ff(self.norm3(x))
        x = self.norm1(x + sa(x))
        x = self.norm2(x + ca(x))
        return self.norm3(x + ff(x))
        # END SOLUTION


class Encoder(nn.Module):
    """``layers`` (deep copies) and a final ``norm``, as nn.TransformerEncoder."""

    def __init__(self, layer: EncoderLayer, num_layers: int, norm: nn.Module):
        super().__init__()
        self.layers = nn.ModuleList(copy.deepcopy(layer) for _ in range(num_layers))
        self.norm = norm

    def forward(self, src: torch.Tensor, mask: torch.Tensor | None = None,
                src_key_padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        for layer in self.layers:
            src = layer(src, mask, src_key_padding_mask)
        return self.norm(src)


class Decoder(nn.Module):
    """``layers`` (deep copies) and a final ``norm``, as nn.TransformerDecoder. Every layer
    attends to the SAME memory (the encoder's last output), not to the previous decoder layer's."""

    def __init__(self, layer: DecoderLayer, num_layers: int, norm: nn.Module):
        super().__init__()
        self.layers = nn.ModuleList(copy.deepcopy(layer) for _ in range(num_layers))
        self.norm = norm

    def forward(self, tgt: torch.Tensor, memory: torch.Tensor, tgt_mask: torch.Tensor | None = None,
                memory_mask: torch.Tensor | None = None, tgt_key_padding_mask: torch.Tensor | None = None,
                memory_key_padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        # BEGIN SOLUTION
        # TODO: each layer in turn on the running target states, all with the same memory and masks;
        # TODO: then self.norm.
        x = tgt
        for layer in self.layers:
            x = layer(x, memory, tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask)
        return self.norm(x)
        # END SOLUTION


class Transformer(nn.Module):
    """nn.Transformer(batch_first=True): ``encoder`` and ``decoder`` stacks, each with a final norm.

    forward(src (B, S, d), tgt (B, T, d), src_mask, tgt_mask, memory_mask, src_key_padding_mask,
    tgt_key_padding_mask, memory_key_padding_mask) -> (B, T, d)
        memory = encoder(src, src_mask, src_key_padding_mask)
        return decoder(tgt, memory, tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask)
    Parameters with more than one dimension are initialised xavier_uniform_, as nn.Transformer does.
    """

    def __init__(self, d_model: int = 512, nhead: int = 8, num_encoder_layers: int = 6,
                 num_decoder_layers: int = 6, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: str = "relu", layer_norm_eps: float = 1e-5, norm_first: bool = False,
                 bias: bool = True):
        super().__init__()
        kw = dict(dim_feedforward=dim_feedforward, dropout=dropout, activation=activation,
                  layer_norm_eps=layer_norm_eps, norm_first=norm_first, bias=bias)
        self.encoder = Encoder(EncoderLayer(d_model, nhead, **kw), num_encoder_layers,
                               nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias))
        self.decoder = Decoder(DecoderLayer(d_model, nhead, **kw), num_decoder_layers,
                               nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias))
        self.d_model, self.nhead = d_model, nhead
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)

    def forward(self, src: torch.Tensor, tgt: torch.Tensor, src_mask: torch.Tensor | None = None,
                tgt_mask: torch.Tensor | None = None, memory_mask: torch.Tensor | None = None,
                src_key_padding_mask: torch.Tensor | None = None,
                tgt_key_padding_mask: torch.Tensor | None = None,
                memory_key_padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        # BEGIN SOLUTION
        # TODO: encode once, then decode with the memory (the docstring's two lines).
        memory = self.encoder(src, src_mask, src_key_padding_mask)
        return self.decoder(tgt, memory, tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask)
        # END SOLUTION


def sinusoid_table(max_len: int, d_model: int) -> torch.Tensor:
    """Vaswani et al.'s positional table (max_len, d_model), float32 (lab 2.2, exercise 1; repeated
    here so this exercise stands alone)."""
    pos = torch.arange(max_len, dtype=torch.float64)[:, None]
    ang = pos * 10000.0 ** (-torch.arange(0, d_model, 2, dtype=torch.float64) / d_model)
    pe = torch.zeros(max_len, d_model, dtype=torch.float64)
    pe[:, 0::2], pe[:, 1::2] = torch.sin(ang), torch.cos(ang)
    return pe.float()


class Seq2SeqTransformer(nn.Module):
    """Token ids in, next-token logits out, with one shared embedding E (vocab_size, d_model):

        src_h = dropout(E[src] * sqrt(d) + PE[:S])        tgt_h = dropout(E[tgt_in] * sqrt(d) + PE[:T])
        h = transformer(src_h, tgt_h, tgt_mask = causal, src/tgt/memory padding masks from pad_id)
        logits = h @ E^T                                   (B, T, vocab_size)

    ``generator`` is an nn.Linear(d, V, bias=False) whose weight IS ``embed.weight`` (one
    Parameter; the state dict still lists both names). ``encode(src)`` -> (memory, src_padding_mask)
    and ``decode(tgt_in, memory, src_padding_mask)`` -> logits split forward in two for decoding.
    E is initialised N(0, d^-1/2), so E[x] * sqrt(d) has unit-variance entries.
    """

    def __init__(self, vocab_size: int, d_model: int = 64, nhead: int = 4, num_encoder_layers: int = 2,
                 num_decoder_layers: int = 2, dim_feedforward: int = 256, dropout: float = 0.1,
                 pad_id: int = 0, max_len: int = 256, norm_first: bool = True):
        super().__init__()
        self.pad_id, self.d_model = pad_id, d_model
        self.transformer = Transformer(d_model, nhead, num_encoder_layers, num_decoder_layers, dim_feedforward,
                                       dropout, norm_first=norm_first)
        self.embed = nn.Embedding(vocab_size, d_model)
        nn.init.normal_(self.embed.weight, std=d_model ** -0.5)
        self.generator = nn.Linear(d_model, vocab_size, bias=False)
        self.register_buffer("pe", sinusoid_table(max_len, d_model), persistent=False)
        self.drop = nn.Dropout(dropout)
        # BEGIN SOLUTION
        # TODO: tie the output projection to the embedding: make generator.weight the SAME Parameter.
        self.generator.weight = self.embed.weight
        # END SOLUTION

    def embed_tokens(self, ids: torch.Tensor) -> torch.Tensor:
        """E[ids] * sqrt(d) + PE[:T], then dropout. (B, T) -> (B, T, d)."""
        # BEGIN SOLUTION
        # TODO: scale the embedding by sqrt(d_model) BEFORE adding the positions.
        return self.drop(self.embed(ids) * math.sqrt(self.d_model) + self.pe[: ids.shape[1]])
        # END SOLUTION

    def encode(self, src: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # BEGIN SOLUTION
        # TODO: padding mask src == pad_id; memory = transformer.encoder(embedded src, None, that mask).
        src_pad = src == self.pad_id
        return self.transformer.encoder(self.embed_tokens(src), None, src_pad), src_pad
        # END SOLUTION

    def decode(self, tgt_in: torch.Tensor, memory: torch.Tensor, src_pad: torch.Tensor) -> torch.Tensor:
        # BEGIN SOLUTION
        # TODO: causal tgt_mask, target padding mask, memory padding mask = src_pad; then generator.
        t = tgt_in.shape[1]
        h = self.transformer.decoder(self.embed_tokens(tgt_in), memory, causal_mask(t, tgt_in.device), None,
                                     tgt_in == self.pad_id, src_pad)
        return self.generator(h)
        # END SOLUTION

    def forward(self, src: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        memory, src_pad = self.encode(src)
        return self.decode(tgt_in, memory, src_pad)
