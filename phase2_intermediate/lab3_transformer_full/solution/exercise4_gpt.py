"""Exercise 4: a decoder-only language model (GPT) on real text, with a KV cache.

Data: Python's own documentation (``shared.datasets.text_corpus``, lab 2.2), tokenised by a
byte-level BPE trained with the Hugging Face ``tokenizers`` library (lab 2.2 wrote the algorithm by
hand; here the maintained library does it). The documents are joined with an end-of-text token
into one long id sequence; a language-model batch is B random windows of ``context`` tokens and
the same windows shifted by one:

    x[b] = data[i_b : i_b + C],   y[b] = data[i_b + 1 : i_b + C + 1],   i_b ~ U{0 .. len - C - 1}

The model (Radford et al. 2019, GPT-2's layout): token embedding + learned positions, pre-norm
blocks x = x + attn(ln_1(x)); x = x + mlp(ln_2(x)) with causal self-attention and a 4d GELU MLP,
a final LayerNorm, and the output projection tied to the token embedding.

KV cache: at generation time the keys and values of the tokens already seen do not change (the
mask stops them from seeing later tokens), so each layer stores them and a new token computes
only its own q, k, v: one token's work per step instead of the whole prefix's.

Cross-entropy is in nats per token; perplexity = exp(cross-entropy), the size of a uniform
vocabulary with the same uncertainty. Baselines: a unigram and a bigram model with add-alpha
counts from the training ids.

Run the checks with:  make test-lab LAB=2.3 EX=4
"""
from __future__ import annotations

import math
import time
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

END_OF_TEXT = "<|endoftext|>"


def train_tokenizer(texts: list[str], vocab_size: int, special_tokens: tuple[str, ...] = (END_OF_TEXT,)):
    """A byte-level BPE ``tokenizers.Tokenizer`` (GPT-2's scheme): models.BPE, the ByteLevel
    pre-tokenizer (add_prefix_space=False) and decoder, trained by trainers.BpeTrainer with
    ``vocab_size``, ``special_tokens`` (ids 0, 1, ... in order), min_frequency=0 and the 256-symbol
    ByteLevel alphabet as initial alphabet, so that any text encodes and decodes losslessly."""
    # BEGIN SOLUTION
    # TODO: Tokenizer(models.BPE()); set .pre_tokenizer and .decoder; train_from_iterator(texts, trainer).
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=list(special_tokens), min_frequency=0,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(texts, trainer)
    return tok
    # END SOLUTION


def encode_documents(tokenizer, texts: list[str], separator: str = END_OF_TEXT) -> torch.Tensor:
    """1-D long tensor: the ids of every text, each FOLLOWED by the separator's id."""
    # BEGIN SOLUTION
    # TODO: tokenizer.token_to_id(separator); encode_batch is faster than one encode per text.
    sep = tokenizer.token_to_id(separator)
    ids: list[int] = []
    for enc in tokenizer.encode_batch(texts):
        ids += enc.ids + [sep]
    return torch.tensor(ids, dtype=torch.long)
    # END SOLUTION


def get_batch(data: torch.Tensor, batch_size: int, context: int, device: torch.device | str = "cpu",
              generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(x, y), both (batch_size, context) long on ``device``: windows starting at
    i = torch.randint(len(data) - context, (batch_size,), generator=generator), y shifted by one.
    ValueError when data has fewer than context + 1 tokens."""
    # BEGIN SOLUTION
    # TODO: the start indices in ONE draw; y[b] begins one token after x[b].
    if len(data) < context + 1:
        raise ValueError(f"need at least context + 1 = {context + 1} tokens, got {len(data)}")
    ix = torch.randint(len(data) - context, (batch_size,), generator=generator)
    offsets = torch.arange(context)
    x = data[ix[:, None] + offsets]
    y = data[ix[:, None] + offsets + 1]
    return x.to(device), y.to(device)
    # END SOLUTION


class KVCache:
    """Per layer, the keys and values seen so far: ``k[layer]``, ``v[layer]`` of shape
    (B, H, t, head_dim), or None before the first token. ``length`` = t (0 when empty), read by
    the model BEFORE a forward pass; during one, the early layers are already updated, so an
    attention layer asks for its own ``layer_length(layer)``."""

    def __init__(self, n_layers: int):
        self.k: list[torch.Tensor | None] = [None] * n_layers
        self.v: list[torch.Tensor | None] = [None] * n_layers

    def layer_length(self, layer: int) -> int:
        """Positions cached for ``layer`` (0 before its first update)."""
        return 0 if self.k[layer] is None else self.k[layer].shape[2]

    @property
    def length(self) -> int:
        """Positions cached for the last layer: the tokens the model has fully processed."""
        return self.layer_length(len(self.k) - 1)

    def update(self, layer: int, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Append the new keys and values (B, H, t_new, head_dim) along the time axis and return
        the full (B, H, t + t_new, head_dim) pair."""
        # BEGIN SOLUTION
        # TODO: store the first ones; afterwards torch.cat along dim 2.
        if self.k[layer] is not None:
            k = torch.cat([self.k[layer], k], dim=2)
            v = torch.cat([self.v[layer], v], dim=2)
        self.k[layer], self.v[layer] = k, v
        return k, v
        # END SOLUTION


class CausalSelfAttention(nn.Module):
    """qkv = Linear(d, 3d) (q, k, v in that order along the output), proj = Linear(d, d).

    forward(x (B, T, d), cache=None, layer=0) -> (B, T, d). Without a cache: causal attention
    over the T positions. With a cache holding t0 earlier positions: q, k, v of the T new tokens,
    keys and values = cache.update(layer, k, v) (t0 = cache.layer_length(layer) before the update;
    t0 + T after), and query i (absolute position
    t0 + i) may attend to keys 0 .. t0 + i. Note F.sdpa's ``is_causal`` aligns the mask to the
    top-left corner, right only when t0 = 0.
    """

    def __init__(self, d_model: int, n_heads: int, dropout: float = 0.0):
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"d_model = {d_model} is not a multiple of n_heads = {n_heads}")
        self.n_heads, self.dropout = n_heads, dropout
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)

    def forward(self, x: torch.Tensor, cache: KVCache | None = None, layer: int = 0) -> torch.Tensor:
        # BEGIN SOLUTION
        # TODO: q, k, v -> (B, H, T, hd). No cache: F.sdpa(..., is_causal=True). With a cache: t0 =
        # TODO: cache.layer_length(layer) BEFORE the update; a (T, t0 + T) bool mask, True where key
        # TODO: j <= t0 + i.
        b, t, d = x.shape
        h = self.n_heads
        q, k, v = (z.view(b, t, h, d // h).transpose(1, 2) for z in self.qkv(x).chunk(3, dim=-1))
        p = self.dropout if self.training else 0.0
        if cache is None:
            out = F.scaled_dot_product_attention(q, k, v, dropout_p=p, is_causal=True)
        else:
            t0 = cache.layer_length(layer)
            k, v = cache.update(layer, k, v)
            allowed = torch.arange(t0 + t, device=x.device)[None, :] <= (t0 + torch.arange(t, device=x.device))[:, None]
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed, dropout_p=p)
        return self.proj(out.transpose(1, 2).reshape(b, t, d))
        # END SOLUTION


class Block(nn.Module):
    """Pre-norm: x = x + attn(ln_1(x)); x = x + mlp(ln_2(x)), mlp = Linear(d, 4d), GELU, Linear(4d, d), dropout."""

    def __init__(self, d_model: int, n_heads: int, dropout: float = 0.0):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d_model)
        self.attn = CausalSelfAttention(d_model, n_heads, dropout)
        self.ln_2 = nn.LayerNorm(d_model)
        self.mlp = nn.Sequential(nn.Linear(d_model, 4 * d_model), nn.GELU(), nn.Linear(4 * d_model, d_model),
                                 nn.Dropout(dropout))

    def forward(self, x: torch.Tensor, cache: KVCache | None = None, layer: int = 0) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x), cache, layer)
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    """wte (V, d), wpe (context, d), ``blocks``, ln_f, lm_head (d -> V, no bias, weight IS wte.weight).

    forward(idx (B, T), targets (B, T) or None, cache=None) -> (logits (B, T, V), loss or None):
    h = wte[idx] + wpe[positions]; positions are t0 .. t0 + T - 1 with t0 = cache.length (0 without
    a cache); loss = mean cross-entropy of logits against targets. ValueError when t0 + T > context.
    Weights N(0, 0.02), biases 0, and the output projection of each residual branch (attn.proj,
    the mlp's second Linear) N(0, 0.02 / sqrt(2 n_layers)), GPT-2's rule.
    """

    def __init__(self, vocab_size: int, context: int, d_model: int = 128, n_heads: int = 4, n_layers: int = 4,
                 dropout: float = 0.0):
        super().__init__()
        self.context, self.n_layers = context, n_layers
        self.wte = nn.Embedding(vocab_size, d_model)
        self.wpe = nn.Embedding(context, d_model)
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(Block(d_model, n_heads, dropout) for _ in range(n_layers))
        self.ln_f = nn.LayerNorm(d_model)
        self.lm_head = nn.Linear(d_model, vocab_size, bias=False)
        self.lm_head.weight = self.wte.weight
        for name, p in self.named_parameters():
            if p.dim() == 1:
                continue
            std = 0.02 / math.sqrt(2 * n_layers) if name.endswith(("attn.proj.weight", "mlp.2.weight")) else 0.02
            nn.init.normal_(p, std=std)
        for m in self.modules():
            if isinstance(m, nn.Linear) and m.bias is not None:
                nn.init.zeros_(m.bias)

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None,
                cache: KVCache | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        # BEGIN SOLUTION
        # TODO: positions from t0 = cache.length (the new tokens continue the cached ones); the
        # TODO: blocks with (cache, layer index); ln_f; lm_head; F.cross_entropy on flattened logits.
        t0 = cache.length if cache is not None else 0
        t = idx.shape[1]
        if t0 + t > self.context:
            raise ValueError(f"{t0} cached + {t} new tokens exceed the context of {self.context}")
        pos = torch.arange(t0, t0 + t, device=idx.device)
        x = self.drop(self.wte(idx) + self.wpe(pos))
        for i, block in enumerate(self.blocks):
            x = block(x, cache, i)
        logits = self.lm_head(self.ln_f(x))
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
        return logits, loss
        # END SOLUTION


@torch.no_grad()
def generate(model: GPT, idx: torch.Tensor, max_new_tokens: int, use_cache: bool = True,
             pick: Callable[[torch.Tensor], torch.Tensor] | None = None) -> torch.Tensor:
    """idx (B, t) -> (B, t + max_new_tokens). ``pick`` maps the last position's logits (B, V) to
    the next tokens (B,); None = greedy argmax. use_cache=False: every step runs the model on the
    whole sequence so far. use_cache=True: one pass over the prompt fills a KVCache, then each step
    feeds only the newest token. Same tokens either way (greedy). ValueError when t +
    max_new_tokens > model.context. The model is put in eval mode and restored afterwards."""
    # BEGIN SOLUTION
    # TODO: without cache: logits = model(seq)[0][:, -1]. With cache: cache = KVCache(model.n_layers);
    # TODO: logits = model(idx, cache=cache)[0][:, -1] once, then model(next_token[:, None], cache=cache).
    if idx.shape[1] + max_new_tokens > model.context:
        raise ValueError(f"prompt {idx.shape[1]} + {max_new_tokens} new tokens exceed the context {model.context}")
    pick = pick or (lambda logits: logits.argmax(-1))
    was_training = model.training
    model.eval()
    seq = idx
    cache = KVCache(model.n_layers) if use_cache else None
    step_input = idx
    for _ in range(max_new_tokens):
        logits = model(step_input if use_cache else seq, cache=cache)[0][:, -1]
        nxt = pick(logits)
        seq = torch.cat([seq, nxt[:, None]], dim=1)
        step_input = nxt[:, None]
    model.train(was_training)
    return seq
    # END SOLUTION


def ngram_cross_entropy(train_ids: torch.Tensor, eval_ids: torch.Tensor, vocab_size: int, order: int,
                        alpha: float = 1.0) -> float:
    """Cross-entropy (nats per predicted token) on ``eval_ids`` of an add-alpha n-gram model counted
    on ``train_ids``. order 1: p(w) = (c(w) + alpha) / (N + alpha V), every eval token predicted.
    order 2: p(w | u) = (c(u w) + alpha) / (c(u .) + alpha V), tokens 1 .. n-1 of eval predicted
    from their predecessor, where c(u .) counts the bigrams of train that start with u."""
    # BEGIN SOLUTION
    # TODO: counts with torch.bincount (bigrams as u * V + w); log-probabilities of the eval tokens.
    v = vocab_size
    if order == 1:
        counts = torch.bincount(train_ids, minlength=v).double()
        logp = ((counts + alpha) / (counts.sum() + alpha * v)).log()
        return -logp[eval_ids].mean().item()
    if order == 2:
        pairs = torch.bincount(train_ids[:-1] * v + train_ids[1:], minlength=v * v).double().view(v, v)
        logp = ((pairs + alpha) / (pairs.sum(1, keepdim=True) + alpha * v)).log()
        return -logp[eval_ids[:-1], eval_ids[1:]].mean().item()
    raise ValueError(f"order must be 1 or 2, got {order}")
    # END SOLUTION


def perplexity(cross_entropy_nats: float) -> float:
    """exp(cross-entropy in nats per token)."""
    return math.exp(cross_entropy_nats)


@torch.no_grad()
def evaluate_lm(model: GPT, data: torch.Tensor, context: int, batch_size: int = 32) -> float:
    """Mean cross-entropy (nats per predicted token) over ``data`` cut into consecutive windows of
    context + 1 tokens (x = the first C, y = the last C; the last partial window is dropped)."""
    n = (len(data) - 1) // context
    x = data[: n * context].view(n, context)
    y = data[1: n * context + 1].view(n, context)
    was_training = model.training
    model.eval()
    total = 0.0
    for s in range(0, n, batch_size):
        logits, _ = model(x[s:s + batch_size])
        total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y[s:s + batch_size].reshape(-1),
                                 reduction="sum").item()
    model.train(was_training)
    return total / (n * context)


def train_lm(model: GPT, data: torch.Tensor, steps: int, batch_size: int, context: int, lr: float = 3e-3,
             warmup: int = 50, generator: torch.Generator | None = None,
             time_limit: float | None = None) -> list[float]:
    """AdamW(lr, betas=(0.9, 0.95), weight_decay=0.1 on matrices only), linear warm-up for
    ``warmup`` steps then cosine decay to lr / 10 at ``steps``, gradient clipping at 1. Stops after
    ``steps`` or ``time_limit`` seconds; returns every step's training loss."""
    decay = [p for p in model.parameters() if p.dim() >= 2]
    other = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": other, "weight_decay": 0.0}],
                            lr=lr, betas=(0.9, 0.95))

    def rate(k):
        if k < warmup:
            return (k + 1) / warmup
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, (k - warmup) / max(1, steps - warmup))))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, rate)
    losses, start = [], time.perf_counter()
    model.train()
    while len(losses) < steps and (time_limit is None or time.perf_counter() - start < time_limit):
        x, y = get_batch(data, batch_size, context, generator=generator)
        _, loss = model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        losses.append(loss.item())
    return losses
