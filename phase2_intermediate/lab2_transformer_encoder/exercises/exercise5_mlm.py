# Exercise stub generated from solution/exercise5_mlm.py by `make stubs` [fingerprint 65a3d2d6f46b]
"""Exercise 5: pretrain an encoder with masked language modelling, then fine-tune a classifier.

BERT (Devlin et al. 2019, section 3.1) picks 15 % of the positions as prediction targets; of
those, 80 % are replaced by [MASK], 10 % by a random token and 10 % left unchanged. The loss is
cross-entropy on the picked positions only (label -100 elsewhere, PyTorch's ignore_index).
``mask_tokens`` draws its random numbers in a fixed order so a seeded call is reproducible
exactly (the tests replay it):

    1. picked  = torch.rand(shape, generator=g) < mlm_probability, never at ``special_mask``
    2. u       = torch.rand(shape, generator=g)        u < 0.8 -> [MASK]; 0.8 <= u < 0.9 -> random
    3. random  = torch.randint(vocab_size, shape, generator=g)

Then a classifier: the encoder's outputs mean-pooled over the real (non-padding) positions and a
linear head. Without positional information the encoder is permutation-equivariant and the mean
pool permutation-invariant, so the classifier cannot tell "A before B" from "B before A"
(``order_task`` is built so that only the order differs between the classes).

Run the checks with:  make test-lab LAB=phase2_intermediate/lab2_transformer_encoder EX=5
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

IGNORE_INDEX = -100


def mask_tokens(input_ids: torch.Tensor, mask_token_id: int, vocab_size: int, mlm_probability: float = 0.15,
                special_mask: torch.Tensor | None = None,
                generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT's 80/10/10 masking. input_ids: (B, T) long; special_mask: (B, T) bool, True where a
    position must never be picked (padding, [CLS], ...). Returns (inputs, labels), both (B, T) long:
    inputs with the picked positions replaced as above, labels = input_ids at picked positions and
    -100 everywhere else. Draws exactly the three tensors of the module docstring, in that order,
    from ``generator``. input_ids is not modified.
    """
    # TODO: the three draws, in order, all of shape input_ids.shape. picked excludes special_mask.
    # TODO: The 80/10/10 split applies ONLY to picked positions: [MASK] where picked & u < 0.8,
    # TODO: random where picked & 0.8 <= u < 0.9, unchanged otherwise. Labels: -100 where not picked.
    raise NotImplementedError("Exercise 5.1: implement mask_tokens")


def masked_mean(h: torch.Tensor, padding_mask: torch.Tensor | None) -> torch.Tensor:
    """Mean of h: (B, T, d) over the positions where padding_mask: (B, T) bool is False (True =
    padding, PyTorch's convention) -> (B, d). padding_mask None: the plain mean over T."""
    # TODO: weights = (~padding_mask) as h's dtype, (B, T, 1); sum(h * w) / sum(w) over T.
    raise NotImplementedError("Exercise 5.2: implement masked_mean")


def sinusoid_table(max_len: int, d_model: int) -> torch.Tensor:
    """Vaswani et al.'s table (max_len, d_model), float32 (exercise 1 writes it; repeated here so
    this exercise stands alone)."""
    pos = torch.arange(max_len, dtype=torch.float64)[:, None]
    ang = pos * 10000.0 ** (-torch.arange(0, d_model, 2, dtype=torch.float64) / d_model)
    pe = torch.zeros(max_len, d_model, dtype=torch.float64)
    pe[:, 0::2], pe[:, 1::2] = torch.sin(ang), torch.cos(ang)
    return pe.float()


def redraw_layers(layers) -> None:
    """Initialise every layer of a stack afresh, as nn.TransformerEncoderLayer's constructor does
    (xavier-uniform in_proj, zero attention biases, nn.Linear's default for the rest).

    nn.TransformerEncoder and exercise 3's Encoder deep-copy ONE layer, so all copies start equal;
    ``layers``: an iterable of layers with nn.TransformerEncoderLayer's submodule names.
    """
    for layer in layers:
        nn.init.xavier_uniform_(layer.self_attn.in_proj_weight)
        for lin in (layer.linear1, layer.linear2, layer.self_attn.out_proj):
            lin.reset_parameters()
        for bias in (layer.self_attn.in_proj_bias, layer.self_attn.out_proj.bias):
            if bias is not None:
                nn.init.zeros_(bias)


class TextEncoder(nn.Module):
    """Token embedding + positions + a pre-norm nn.TransformerEncoder + final LayerNorm, with an
    MLM head tied to the embedding (logits = h @ E^T + b, as in BERT).

    positions: "learned" (a (max_len, d) table, N(0, 0.02^2)), "sinusoidal" (fixed) or "none".
    forward(ids: (B, T) long, padding_mask: (B, T) bool or None, True = padding) -> h: (B, T, d).
    """

    def __init__(self, vocab_size: int, d_model: int = 64, n_heads: int = 4, n_layers: int = 2,
                 dim_feedforward: int = 256, max_len: int = 128, positions: str = "learned",
                 dropout: float = 0.0):
        super().__init__()
        if positions not in ("learned", "sinusoidal", "none"):
            raise ValueError(f"positions must be 'learned', 'sinusoidal' or 'none', got {positions!r}")
        self.positions, self.max_len = positions, max_len
        self.tok_emb = nn.Embedding(vocab_size, d_model)
        nn.init.normal_(self.tok_emb.weight, std=0.02)
        if positions == "learned":
            self.pos_emb = nn.Parameter(torch.randn(max_len, d_model) * 0.02)
        elif positions == "sinusoidal":
            self.register_buffer("pos_emb", sinusoid_table(max_len, d_model), persistent=False)
        else:
            self.pos_emb = None
        layer = nn.TransformerEncoderLayer(d_model, n_heads, dim_feedforward, dropout, activation="gelu",
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, n_layers, enable_nested_tensor=False)
        redraw_layers(self.encoder.layers)  # the stack deep-copies one layer: draw each copy afresh
        self.norm = nn.LayerNorm(d_model)
        self.mlm_bias = nn.Parameter(torch.zeros(vocab_size))

    def forward(self, ids: torch.Tensor, padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        # TODO: x = tok_emb(ids), plus pos_emb[:T] unless positions == "none" (refuse T > max_len);
        # TODO: the encoder with src_key_padding_mask=padding_mask; then self.norm.
        raise NotImplementedError("Exercise 5.3: implement TextEncoder.forward")

    def mlm_logits(self, h: torch.Tensor) -> torch.Tensor:
        """(..., d) -> (..., vocab_size): h @ tok_emb.weight^T + mlm_bias (weights tied)."""
        return h @ self.tok_emb.weight.T + self.mlm_bias


def mlm_loss(model: TextEncoder, inputs: torch.Tensor, labels: torch.Tensor,
             padding_mask: torch.Tensor | None = None) -> torch.Tensor:
    """Mean cross-entropy of the MLM head over the positions whose label is not -100 (a scalar).

    Equal to F.cross_entropy(model.mlm_logits(h).flatten(0, 1), labels.flatten(), ignore_index=-100)
    with h = model(inputs, padding_mask), but computes the (vocab-sized) logits only at the picked
    positions: about 15 % of them, and the head is the largest matrix product of a small model.
    """
    # TODO: h = model(inputs, padding_mask); picked = labels != -100; the head on h[picked] only
    # TODO: (N, d) -> (N, V), cross-entropy against labels[picked] (a mean over the N picked).
    raise NotImplementedError("Exercise 5.4: implement mlm_loss")


class SequenceClassifier(nn.Module):
    """encoder -> masked mean over real positions -> Linear(d, n_classes).

    forward(ids: (B, T), padding_mask: (B, T) bool or None) -> logits (B, n_classes).
    """

    def __init__(self, encoder: TextEncoder, n_classes: int):
        super().__init__()
        self.encoder = encoder
        self.head = nn.Linear(encoder.tok_emb.embedding_dim, n_classes)

    def forward(self, ids: torch.Tensor, padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        # TODO: head(masked_mean(encoder(ids, padding_mask), padding_mask)).
        raise NotImplementedError("Exercise 5.5: implement SequenceClassifier.forward")


def order_task(n: int, seq_len: int = 12, n_fillers: int = 8, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """n sequences of ``seq_len`` tokens: fillers drawn from ids 2 .. 2 + n_fillers - 1 and the two
    markers A = 0 and B = 1, each exactly once at random distinct positions. label = 1 when A comes
    before B. Both classes have the same bag of tokens distribution, so only order separates them.
    Returns ids (n, seq_len) long and labels (n,) long.
    """
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(2, 2 + n_fillers, (n, seq_len), generator=g)
    pos = torch.rand(n, seq_len, generator=g).argsort(dim=1)[:, :2]  # two distinct positions per row
    rows = torch.arange(n)
    ids[rows, pos[:, 0]] = 0
    ids[rows, pos[:, 1]] = 1
    return ids, (pos[:, 0] < pos[:, 1]).long()


def train_classifier(model: nn.Module, ids: torch.Tensor, labels: torch.Tensor,
                     padding_mask: torch.Tensor | None = None, steps: int = 200, batch_size: int = 32,
                     lr: float = 1e-3, seed: int = 0) -> list[float]:
    """AdamW on cross-entropy, minibatches drawn with replacement from a seeded generator; returns
    the loss per step."""
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    model.train()
    losses = []
    for _ in range(steps):
        idx = torch.randint(len(ids), (min(batch_size, len(ids)),), generator=g)
        pm = None if padding_mask is None else padding_mask[idx]
        loss = F.cross_entropy(model(ids[idx], pm), labels[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


@torch.no_grad()
def accuracy(model: nn.Module, ids: torch.Tensor, labels: torch.Tensor,
             padding_mask: torch.Tensor | None = None, batch_size: int = 256) -> float:
    """Fraction of correct argmax predictions, in eval mode, batch by batch."""
    model.eval()
    correct = 0
    for i in range(0, len(ids), batch_size):
        pm = None if padding_mask is None else padding_mask[i:i + batch_size]
        correct += (model(ids[i:i + batch_size], pm).argmax(-1) == labels[i:i + batch_size]).sum().item()
    return correct / len(ids)
