# Exercise stub generated from solution/exercise5_lstm.py by `make stubs` [fingerprint 31992c1bdfd4]
"""Exercise 5: the LSTM the transformer replaced — a cell and a layer by hand, and an LSTM
encoder-decoder with attention on exercise 2's task.

The cell (Hochreiter & Schmidhuber 1997, with the forget gate of Gers et al. 2000), in PyTorch's
layout: weight_ih (4H, I), weight_hh (4H, H), bias_ih (4H,), bias_hh (4H,), the four row blocks
in the order i, f, g, o:

    [i; f; g; o] = x W_ih^T + b_ih + h W_hh^T + b_hh
    i, f, o = sigmoid(.)     g = tanh(.)
    c' = f * c + i * g       h' = o * tanh(c')

The cell state c is the "constant error carousel": dc'/dc = f elementwise, no matrix product and
no squashing on that path, so with f near 1 a gradient crosses many steps without vanishing.

``LSTM`` runs the cell over time with nn.LSTM's parameter names (weight_ih_l0, weight_hh_l0,
bias_ih_l0, bias_hh_l0, then _l1 ... for stacked layers), so state dicts load both ways. With
``lengths`` a sequence's state stops changing after its last real step and its outputs beyond it
are zero: what nn.LSTM gives on a pack_padded_sequence input after pad_packed_sequence, and what
running each sequence alone gives.

``Seq2SeqLSTM``: an LSTM encoder, and a decoder LSTMCell with Luong et al.'s (2015) "general"
attention and input feeding:

    score(h_t, s_j) = h_t^T W_a s_j   (W_a = attn: Linear(H, H, bias=False)), source padding masked
    a_t = softmax_j(score),  ctx_t = sum_j a_tj s_j,  h~_t = tanh(W_c [ctx_t; h_t]),  logits = W_o h~_t
    the decoder's input at step t+1 is [E y_t ; h~_t]

Run the checks with:  make test-lab LAB=2.3 EX=5
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


def lstm_cell(x: torch.Tensor, h: torch.Tensor, c: torch.Tensor, w_ih: torch.Tensor, w_hh: torch.Tensor,
              b_ih: torch.Tensor | None = None, b_hh: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """One step. x (B, I), h and c (B, H) -> (h', c'), the formulas of the module docstring."""
    # TODO: gates = F.linear(x, w_ih, b_ih) + F.linear(h, w_hh, b_hh); chunk(4) in i, f, g, o order.
    raise NotImplementedError("Exercise 5.1: implement lstm_cell")


class LSTMCell(nn.Module):
    """nn.LSTMCell's parameters and initialisation (every entry U(-1/sqrt(H), 1/sqrt(H))).
    forward(x (B, I), state=(h, c) or None for zeros) -> (h', c')."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True):
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        self.weight_ih = nn.Parameter(torch.empty(4 * hidden_size, input_size))
        self.weight_hh = nn.Parameter(torch.empty(4 * hidden_size, hidden_size))
        self.bias_ih = nn.Parameter(torch.empty(4 * hidden_size)) if bias else None
        self.bias_hh = nn.Parameter(torch.empty(4 * hidden_size)) if bias else None
        bound = 1.0 / math.sqrt(hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def forward(self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None = None):
        if state is None:
            zeros = x.new_zeros(x.shape[0], self.hidden_size)
            state = (zeros, zeros)
        return lstm_cell(x, state[0], state[1], self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)


class LSTM(nn.Module):
    """nn.LSTM(input_size, hidden_size, num_layers, bias, batch_first) by hand, unidirectional.

    forward(x, hx=None, lengths=None) -> (output, (h_n, c_n)):
        x (B, T, I) if batch_first else (T, B, I); hx = (h_0, c_0), each (num_layers, B, H), or zeros
        output: the last layer's h at every step, (B, T, H) or (T, B, H); zero at t >= lengths[b]
        h_n, c_n: (num_layers, B, H), each sequence's state after its LAST REAL step
    Layer k > 0 reads layer k-1's outputs.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False):
        super().__init__()
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first = bias, batch_first
        bound = 1.0 / math.sqrt(hidden_size)
        for k in range(num_layers):
            fan_in = input_size if k == 0 else hidden_size
            names = [("weight_ih", (4 * hidden_size, fan_in)), ("weight_hh", (4 * hidden_size, hidden_size))]
            if bias:
                names += [("bias_ih", (4 * hidden_size,)), ("bias_hh", (4 * hidden_size,))]
            for name, shape in names:
                p = nn.Parameter(torch.empty(shape))
                nn.init.uniform_(p, -bound, bound)
                self.register_parameter(f"{name}_l{k}", p)

    def layer_weights(self, k: int) -> tuple[torch.Tensor, ...]:
        names = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if self.bias else [])
        ws = [getattr(self, f"{n}_l{k}") for n in names]
        return tuple(ws) if self.bias else (*ws, None, None)

    def forward(self, x: torch.Tensor, hx: tuple[torch.Tensor, torch.Tensor] | None = None,
                lengths: torch.Tensor | list[int] | None = None):
        # TODO: work in (B, T, I). For each layer, loop t over T with lstm_cell; with lengths, a
        # TODO: (B, 1) mask "t < lengths" picks the NEW state where true and keeps the OLD one
        # TODO: elsewhere (torch.where), and zeroes that step's output. Stack the outputs; h_n/c_n
        # TODO: collect each layer's final (masked) state.
        raise NotImplementedError("Exercise 5.2: implement LSTM.forward")


def luong_attention(h_t: torch.Tensor, enc_out: torch.Tensor, src_pad: torch.Tensor | None,
                    w_a: nn.Linear) -> tuple[torch.Tensor, torch.Tensor]:
    """Luong's "general" score. h_t (B, H) decoder state, enc_out (B, S, H), src_pad (B, S) bool
    (True = padding). Returns (ctx (B, H), weights (B, S)) with weights = softmax over the
    non-padding j of h_t^T W_a s_j (= h_t . w_a(s_j)) and ctx = sum_j weights_j s_j."""
    # TODO: scores (B, S) = (w_a(enc_out) @ h_t[..., None]).squeeze(-1); padding -> -inf; softmax.
    raise NotImplementedError("Exercise 5.3: implement luong_attention")


class Seq2SeqLSTM(nn.Module):
    """embed (V, E) shared by source and target; encoder nn.LSTM(E, H, batch_first=True) run on
    the packed source (so the final state is each sequence's own); decoder LSTMCell(E + H, H)
    initialised with the encoder's final (h, c); attn Linear(H, H, bias=False); combine
    Linear(2H, H) applied to [ctx; h]; out Linear(H, V).

    The interface of exercise 1's model: encode(src) -> (memory, src_pad) with memory =
    (enc_out (B, S, H), h_n (B, H), c_n (B, H)), h_n and c_n the encoder's final state with the
    layer axis dropped (nn.LSTM returns them as (1, B, H)); decode(tgt_in, memory, src_pad) -> logits (B, T, V), teacher-forced over
    tgt_in; forward(src, tgt_in) = decode(tgt_in, *encode(src)). ``d_model`` = H (the training
    loop's warm-up schedule reads it).
    """

    def __init__(self, vocab_size: int, embed_dim: int = 64, hidden_size: int = 128, pad_id: int = 0):
        super().__init__()
        self.pad_id, self.hidden_size, self.d_model = pad_id, hidden_size, hidden_size
        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_id)
        self.encoder = nn.LSTM(embed_dim, hidden_size, batch_first=True)
        self.decoder = nn.LSTMCell(embed_dim + hidden_size, hidden_size)
        self.attn = nn.Linear(hidden_size, hidden_size, bias=False)
        self.combine = nn.Linear(2 * hidden_size, hidden_size)
        self.out = nn.Linear(hidden_size, vocab_size)

    def encode(self, src: torch.Tensor):
        # TODO: lengths = (src != pad).sum(1); pack_padded_sequence(embedded, lengths.cpu(),
        # TODO: batch_first=True, enforce_sorted=False); run the encoder; pad_packed_sequence back
        # TODO: to (B, S, H) (total_length=S).
        raise NotImplementedError("Exercise 5.4: implement Seq2SeqLSTM.encode")

    def decode(self, tgt_in: torch.Tensor, memory, src_pad: torch.Tensor) -> torch.Tensor:
        # TODO: state = (h_n, c_n); feed = zeros (B, H); per step t: (h, c) = decoder([E y_t; feed],
        # TODO: state); ctx = luong_attention(h, enc_out, src_pad, attn); feed = tanh(combine([ctx; h]));
        # TODO: logits_t = out(feed). Stack over t.
        raise NotImplementedError("Exercise 5.5: implement Seq2SeqLSTM.decode")

    def forward(self, src: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        memory, src_pad = self.encode(src)
        return self.decode(tgt_in, memory, src_pad)


def count_parameters(model: nn.Module) -> int:
    """Distinct parameters (a tied weight counts once): sum of numel over model.parameters()."""
    return sum(p.numel() for p in model.parameters())
