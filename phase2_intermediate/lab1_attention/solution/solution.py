"""Lab 2.1 runner: attention by hand, multi-head attention, masks, flash-style tiling, GQA and the KV cache.

    cd phase2_intermediate/lab1_attention && python solution/solution.py      (or: make run LAB=2.1)

Prints the worked examples the README quotes (marked WORKED EXAMPLE), the variance of q.k that
motivates the 1/sqrt(D) scale, the agreement of every exercise with PyTorch's own implementation,
peak tensor memory of naive versus tiled attention for T = 256 ... 4096, the time of naive versus
tiled versus F.scaled_dot_product_attention, the KV-cache sizes of two published LLaMA configs and
the decode time with and without a cache. Saves the mask and attention-weight heatmaps under
$LAB_OUTPUT_DIR (default: outputs/ in the lab folder).
"""
from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

LAB_DIR = Path(__file__).resolve().parent.parent
try:
    import shared  # noqa: F401  (installed by `make setup`)
except ImportError:  # run with a Python that lacks the editable install: use the repository root
    sys.path.insert(0, str(LAB_DIR.parent.parent))

from shared.devices import cpu_name, describe_machine, seed_everything  # noqa: E402
from shared.memory import track_tensor_memory  # noqa: E402
from shared.report import max_diff, output_dir, run_part, runner_parser, section, spread, table, whose  # noqa: E402
from shared.timing import benchmark, format_seconds  # noqa: E402

from exercise1_sdpa import attention_by_hand_3_tokens, scaled_dot_product_attention, softmax  # noqa: E402
from exercise2_multihead import MultiheadAttention, split_heads  # noqa: E402
from exercise3_masks import (  # noqa: E402
    causal_mask,
    document_mask,
    pack_documents,
    padding_mask,
    sliding_window_mask,
)
from exercise4_flash import flash_attention, flash_attention_forward, naive_attention  # noqa: E402
from exercise5_gqa_kv_cache import (  # noqa: E402
    TinyDecoder,
    generate,
    gqa_cache_saving,
    grouped_query_attention,
    incremental_logits,
    kv_cache_bytes,
)

MIB = 2**20

# Published configurations (batch 1, bf16 cache = 2 bytes per element).
# Llama 3 8B and 70B: Dubey et al. 2024, "The Llama 3 Herd of Models", arXiv:2407.21783, Table 3
# (layers 32 / 80, model dimension 4096 / 8192, attention heads 32 / 64, key/value heads 8 / 8).
# head_dim = model dimension / attention heads = 128 for both.
LLAMA_CONFIGS = {
    "Llama 3 8B": dict(n_layers=32, n_heads=32, n_kv_heads=8, head_dim=128),
    "Llama 3 70B": dict(n_layers=80, n_heads=64, n_kv_heads=8, head_dim=128),
}


# ---------------------------------------------------------------------------------------------
# Exercise 1: softmax and scaled dot-product attention
# ---------------------------------------------------------------------------------------------


def worked_example_3_tokens() -> None:
    r = attention_by_hand_3_tokens()
    print("WORKED EXAMPLE (a): causal attention on 3 tokens, D = 2, scale 1/sqrt(2), float64")
    for name in ("q", "k", "v"):
        print(f"  {name.upper()} = {r[name].tolist()}")
    fmt = lambda t: "[" + ", ".join("[" + ", ".join(f"{x:8.4f}" for x in row) + "]" for row in t.tolist()) + "]"  # noqa: E731
    print(f"  scores  = Q K^T / sqrt(2), masked = {fmt(r['scores'])}")
    print(f"  weights = softmax(scores)         = {fmt(r['weights'])}")
    print(f"  out     = weights @ V             = {fmt(r['out'])}")
    ref = F.scaled_dot_product_attention(r["q"], r["k"], r["v"], is_causal=True)
    print(f"  F.scaled_dot_product_attention on the same Q, K, V: max |difference| = {max_diff(r['out'], ref)}")
    w = r["weights"][2]
    print(f"  row 3 by hand: exp(1.4142 - 1.4142) = 1, exp(0.7071 - 1.4142) = {math.exp(-1 / math.sqrt(2)):.4f}; "
          f"1 / (2 + {math.exp(-1 / math.sqrt(2)):.4f}) = {w[0].item():.4f}")


def stable_softmax_demo() -> None:
    x = torch.tensor([1.0e4, 1.0e4 - 1.0, -1.0e4])
    mine = softmax(x)
    naive = torch.exp(x) / torch.exp(x).sum()
    print(f"\nsoftmax of {x.tolist()} (float32): exp(x) / sum exp(x) = {naive.tolist()} (exp(1e4) overflows to inf)")
    print(f"  shifted by the max ({whose()} softmax) = {[round(v, 6) for v in mine.tolist()]}; torch.softmax = "
          f"{[round(v, 6) for v in torch.softmax(x, -1).tolist()]}")


def scaling_demo(seeds: int) -> None:
    print("\nWhy 1/sqrt(D): q, k with independent N(0, 1) entries, so Var(q.k) = D (100,000 pairs per seed)")
    rows = []
    for d in (16, 64, 256):
        var_raw, var_scaled, top_raw, top_scaled = [], [], [], []
        for seed in range(seeds):
            g = torch.Generator().manual_seed(seed)
            q, k = torch.randn(100_000, d, generator=g), torch.randn(100_000, d, generator=g)
            dots = (q * k).sum(-1)
            var_raw.append(dots.var().item())
            var_scaled.append((dots / math.sqrt(d)).var().item())
            # one query against 64 keys: how much weight the largest key gets
            scores = (torch.randn(1000, d, generator=g) @ torch.randn(d, 64, generator=g))
            top_raw.append(torch.softmax(scores, -1).amax(-1).mean().item())
            top_scaled.append(torch.softmax(scores / math.sqrt(d), -1).amax(-1).mean().item())
        rows.append([d, spread(var_raw, ".1f"), spread(var_scaled, ".3f"), spread(top_raw, ".3f"), spread(top_scaled, ".3f")])
    table(["D", "Var(q.k)", "Var(q.k / sqrt(D))", "mean max weight, 64 keys, unscaled", "same, scaled"], rows)
    print(f"  seeds 0..{seeds - 1}; with 64 keys a uniform softmax gives max weight 1/64 = {1 / 64:.4f}; "
          "near 1 means a saturated (one-hot) softmax, whose gradient vanishes")


def sdpa_agreement() -> None:
    torch.manual_seed(0)
    rows = []
    q, k, v = torch.randn(2, 4, 7, 16), torch.randn(2, 4, 9, 16), torch.randn(2, 4, 9, 8)
    cases = [
        ("no mask", {}),
        ("is_causal, T_q=7 < T_k=9", dict(is_causal=True)),
        ("bool mask (True = attend)", dict(attn_mask=torch.rand(7, 9) > 0.3)),
        ("float mask, added", dict(attn_mask=torch.randn(2, 1, 7, 9))),
        ("scale=0.5", dict(scale=0.5)),
    ]
    for name, kw in cases:
        rows.append([name, max_diff(scaled_dot_product_attention(q, k, v, **kw), F.scaled_dot_product_attention(q, k, v, **kw))])
    m = torch.ones(7, 9, dtype=torch.bool)
    m[3] = False
    ours, ref = scaled_dot_product_attention(q, k, v, attn_mask=m), F.scaled_dot_product_attention(q, k, v, attn_mask=m)
    rows.append(["row 3 fully masked", f"{max_diff(ours, ref)} (row 3: {whose()} {ours[0, 0, 3, :3].tolist()}, F.sdpa {ref[0, 0, 3, :3].tolist()})"])
    table([f"scaled_dot_product_attention ({whose()}) vs F.sdpa, q (2,4,7,16), k (2,4,9,16), v (2,4,9,8), float32", "max |diff|"], rows)
    mha = nn.MultiheadAttention(8, 2, batch_first=True)
    x = torch.randn(1, 3, 8)
    with torch.no_grad():
        nan_out = mha(x, x, x, key_padding_mask=torch.ones(1, 3, dtype=torch.bool))[0]
    print(f"  the same fully masked case in nn.MultiheadAttention (key_padding_mask all True, need_weights=True): output NaN: {bool(nan_out.isnan().all())}")


# ---------------------------------------------------------------------------------------------
# Exercise 2: multi-head attention
# ---------------------------------------------------------------------------------------------


def multihead_demo() -> None:
    torch.manual_seed(0)
    e, h = 64, 8
    ref = nn.MultiheadAttention(e, h, batch_first=True)
    ours = MultiheadAttention(e, h)
    ours.load_state_dict(ref.state_dict())
    n = sum(p.numel() for p in ours.parameters())
    print(f"MultiheadAttention({e}, {h}) ({whose()}): {n:,} parameters = 4E^2 + 4E = {4 * e * e + 4 * e:,}; "
          f"state_dict keys {list(ours.state_dict())}")
    x, mem = torch.randn(2, 5, e), torch.randn(2, 7, e)
    kpm = torch.zeros(2, 7, dtype=torch.bool)
    kpm[1, 5:] = True
    rows = []
    for name, args, kw in [
        ("self-attention", (x, x, x), {}),
        ("cross-attention, key_padding_mask", (x, mem, mem), dict(key_padding_mask=kpm)),
        ("causal attn_mask (True = masked)", (x, x, x), dict(attn_mask=torch.ones(5, 5, dtype=torch.bool).triu(1))),
        ("per-head weights", (x, x, x), dict(average_attn_weights=False)),
    ]:
        with torch.no_grad():
            (o1, w1), (o2, w2) = ours(*args, **kw), ref(*args, **kw)
        rows.append([name, tuple(o1.shape), tuple(w1.shape), max_diff(o1, o2), max_diff(w1, w2)])
    table(["nn.MultiheadAttention weights copied", "out", "weights", "max |diff| out", "max |diff| weights"], rows)
    t = torch.arange(2 * 3 * 4, dtype=torch.float32).view(1, 6, 4)  # B=1, T=6 tokens, E=4 features
    print(f"  split_heads into H=2: token 0's features {t[0, 0].tolist()} -> head 0 gets {split_heads(t, 2)[0, 0, 0].tolist()}, "
          f"head 1 gets {split_heads(t, 2)[0, 1, 0].tolist()}; a bare reshape to (1, 2, 6, 2) would give head 0, "
          f"position 0 {t.reshape(1, 2, 6, 2)[0, 0, 0].tolist()} and position 1 {t.reshape(1, 2, 6, 2)[0, 0, 1].tolist()} "
          "(token 0 split over two positions)")


# ---------------------------------------------------------------------------------------------
# Exercise 3: masks
# ---------------------------------------------------------------------------------------------


def masks_demo() -> dict[str, torch.Tensor]:
    torch.manual_seed(0)
    lengths = [5, 3, 1, 4]
    docs = [torch.randn(n, 16) for n in lengths]
    packed, ids = pack_documents(docs, t=16)
    mask = document_mask(ids)
    out = scaled_dot_product_attention(packed[None, None], packed[None, None], packed[None, None], attn_mask=mask)[0, 0]
    alone = torch.cat([F.scaled_dot_product_attention(d[None], d[None], d[None], is_causal=True)[0] for d in docs])
    print(f"packed row of documents of lengths {lengths} + {16 - sum(lengths)} padding -> ids {ids.tolist()}")
    print(f"  document mask (causal inside each document) vs each document run alone: max |diff| = "
          f"{max_diff(out[:sum(lengths)], alone)}; padding rows output {out[sum(lengths):].abs().max().item():.1f} (no key to see)")
    pad = padding_mask([3, 5], 5)
    print(f"padding_mask([3, 5], 5) shape {tuple(pad.shape)}: {pad[:, 0, 0].int().tolist()}")
    sw = sliding_window_mask(8, 3)
    print(f"sliding_window_mask(8, 3): keys per query {sw.sum(-1).tolist()}")
    # The heatmap's weights: queries and keys drawn independently (std 0.5), so the weights spread over each document.
    q_vis, k_vis = 0.5 * torch.randn(16, 16), 0.5 * torch.randn(16, 16)
    # With V = the identity, each output row IS that query's row of attention weights.
    weights = scaled_dot_product_attention(q_vis, k_vis, torch.eye(16), attn_mask=mask[0, 0])
    return {"causal (T=16)": causal_mask(16), "sliding window 4 (T=16)": sliding_window_mask(16, 4),
            f"documents {lengths} + padding": mask[0, 0], "attention weights, packed row": weights}


def save_heatmaps(panels: dict[str, torch.Tensor]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 4.2))
    for ax, (title, m) in zip(axes, panels.items()):
        im = ax.imshow(m.float().numpy(), cmap="viridis", vmin=0, vmax=1)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("key position j")
        ax.set_ylabel("query position i")
        fig.colorbar(im, ax=ax, fraction=0.046, label="attend (1) / masked (0)" if m.dtype == torch.bool else "weight")
    fig.suptitle("Masks (True = may attend) and the attention weights they produce")
    fig.tight_layout()
    path = output_dir(LAB_DIR) / "lab2_1_masks_and_weights.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"\nheatmaps saved: {path}")


# ---------------------------------------------------------------------------------------------
# Exercise 4: flash-style attention
# ---------------------------------------------------------------------------------------------


def flash_exactness() -> None:
    torch.manual_seed(0)
    q, k, v = torch.randn(2, 3, 100, 16, dtype=torch.float64), torch.randn(2, 3, 77, 16, dtype=torch.float64), torch.randn(2, 3, 77, 8, dtype=torch.float64)
    rows = []
    for bq, bk in [(5, 3), (7, 13), (32, 32), (128, 128)]:
        for causal in (False, True):
            out, _ = flash_attention_forward(q, k, v, causal, None, bq, bk)
            rows.append([f"{bq} x {bk}", causal, max_diff(out, F.scaled_dot_product_attention(q, k, v, is_causal=causal))])
    table([f"flash_attention_forward ({whose()}) blocks (q x k), T_q=100, T_k=77, float64", "causal", "max |diff| vs F.sdpa"], rows)
    qs, ks, vs = (t[:1, :1, :12].clone().requires_grad_() for t in (q, k, v))
    ok = torch.autograd.gradcheck(lambda a, b, c: flash_attention(a, b, c, True, None, 5, 4), (qs, ks, vs))
    print(f"  gradcheck of FlashAttention (backward by recomputation, float64, T=12, blocks 5 x 4, causal): {ok}")


def memory_table(block: int = 128) -> float:
    rows = []
    ratio_4096 = float("nan")
    d = 64
    with torch.no_grad():
        for t in (256, 512, 1024, 2048, 4096):
            q, k, v = (torch.randn(1, 1, t, d) for _ in range(3))
            with track_tensor_memory() as naive:
                naive_attention(q, k, v)
            with track_tensor_memory() as tiled:
                flash_attention_forward(q, k, v, block_q=block, block_k=block)
            with track_tensor_memory() as fused:
                F.scaled_dot_product_attention(q, k, v)
            ratio = naive.peak_bytes / tiled.peak_bytes
            if t == 4096:
                ratio_4096 = ratio
            rows.append([t, f"{t * t * 4 / MIB:.2f}", f"{naive.peak_bytes / MIB:.3f}", f"{naive.largest_bytes / MIB:.3f}",
                         f"{tiled.peak_bytes / MIB:.3f}", f"{tiled.largest_bytes / MIB:.3f}", f"{ratio:.1f}",
                         f"{fused.peak_bytes / MIB:.3f}"])
    table(["T", "T x T fp32 (MiB)", "naive peak (MiB)", "naive largest", f"tiled peak ({block}x{block})",
           "tiled largest", "naive / tiled", "F.sdpa peak*"], rows)
    print(f"  B = H = 1, D = {d}, float32, forward under no_grad; bytes of tensor storage created by the call "
          "(shared.memory: exact, the same on every machine)")
    print("  * F.sdpa's fused CPU kernel keeps its block buffers inside C++, where the counter cannot see them: "
          "only its output shows")
    print(f"  HEADLINE: peak memory ratio naive / tiled at T = 4096: {ratio_4096:.1f}x")
    return ratio_4096


def timing_table() -> None:
    rows = []
    b, h, d = 1, 4, 64
    with torch.no_grad():
        for t in (512, 1024, 2048):
            q, k, v = (torch.randn(b, h, t, d) for _ in range(3))
            res = {
                "naive": benchmark(lambda: naive_attention(q, k, v), warmup=1, repeat=5),
                "tiled": benchmark(lambda: flash_attention_forward(q, k, v, block_q=128, block_k=128), warmup=1, repeat=5),
                "F.sdpa": benchmark(lambda: F.scaled_dot_product_attention(q, k, v), warmup=1, repeat=5),
            }
            flops = 4 * b * h * t * t * d
            rows.append([t, f"{flops / 1e9:.2f}"] + [f"{format_seconds(r.median)} ({format_seconds(r.min)}–{format_seconds(r.max)})" for r in res.values()])
    table(["T", "GFLOP (4·B·H·T²·D)", "naive: median (min–max)", "tiled 128x128 (Python loops)", "F.sdpa (fused kernel)"], rows)
    print(f"  B={b}, H={h}, D={d}, float32, forward, medians of 5 after 1 warm-up; {cpu_name()}, "
          f"{torch.get_num_threads()} threads. Timings vary by machine and load.")


def sdpa_backends() -> None:
    """Which of F.sdpa's backends run here (torch.nn.attention.sdpa_kernel restricts the choice to one)."""
    from torch.nn.attention import SDPBackend, sdpa_kernel

    device = "cuda" if torch.cuda.is_available() else "cpu"
    dtype = torch.float16 if device == "cuda" else torch.float32
    q = torch.randn(1, 2, 128, 64, device=device, dtype=dtype)
    ref = F.scaled_dot_product_attention(q.float(), q.float(), q.float(), is_causal=True)
    rows = []
    for backend in (SDPBackend.MATH, SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.CUDNN_ATTENTION):
        try:
            with sdpa_kernel(backend):
                out = F.scaled_dot_product_attention(q, q, q, is_causal=True)
            rows.append([backend.name, "runs", max_diff(out.float(), ref)])
        except RuntimeError as err:
            rows.append([backend.name, "not available: " + str(err).splitlines()[0][:60] + "…", "-"])
    table([f"sdpa_kernel(backend) on {device}, {str(dtype).replace('torch.', '')}, causal, (1, 2, 128, 64)", "result", "max |diff| vs default"], rows)


def flex_attention_demo() -> None:
    """FlexAttention: a mask_mod (document + causal) and a score_mod (ALiBi-style distance penalty)."""
    import warnings

    try:
        from torch.nn.attention.flex_attention import create_block_mask, flex_attention
    except ImportError as err:  # older torch
        print(f"FlexAttention: skipped, torch {torch.__version__} has no torch.nn.attention.flex_attention ({err})")
        return
    torch.manual_seed(0)
    t, lengths = 256, [100, 60, 96]
    ids = torch.repeat_interleave(torch.arange(3), torch.tensor(lengths))
    q, k, v = (torch.randn(1, 2, t, 32) for _ in range(3))

    def doc_causal(b, h, q_idx, kv_idx):  # noqa: ANN001, ANN202 - FlexAttention's mask_mod signature
        return (ids[q_idx] == ids[kv_idx]) & (kv_idx <= q_idx)

    def distance_penalty(score, b, h, q_idx, kv_idx):  # noqa: ANN001, ANN202 - score_mod signature
        return score - 0.1 * (h + 1) * (q_idx - kv_idx).abs()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # eager FlexAttention on CPU warns that it is not compiled
        block_mask = create_block_mask(doc_causal, None, None, t, t, device="cpu")
        out_mask = flex_attention(q, k, v, block_mask=block_mask)
        out_score = flex_attention(q, k, v, score_mod=distance_penalty)
    same_doc_causal = (ids[:, None] == ids[None, :]) & torch.ones(t, t, dtype=torch.bool).tril()
    want_mask = F.scaled_dot_product_attention(q, k, v, attn_mask=same_doc_causal)
    i, j = torch.arange(t).unsqueeze(1), torch.arange(t).unsqueeze(0)
    bias = -0.1 * torch.arange(1, 3).view(1, 2, 1, 1) * (i - j).abs()
    want_score = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
    print(f"FlexAttention (torch {torch.__version__}, eager, not compiled), T={t}:")
    print(f"  mask_mod document+causal, documents {lengths}: max |diff| vs F.sdpa with that boolean mask = {max_diff(out_mask, want_mask)}")
    print(f"  score_mod score - 0.1 (h+1) |i - j|: max |diff| vs F.sdpa with that float mask = {max_diff(out_score, want_score)}")
    print(f"  block mask ({block_mask.BLOCK_SIZE[0]} x {block_mask.BLOCK_SIZE[1]} blocks): {block_mask.sparsity():.1f}% of the blocks skipped")


# ---------------------------------------------------------------------------------------------
# Exercise 5: GQA and the KV cache
# ---------------------------------------------------------------------------------------------


def gqa_demo() -> None:
    torch.manual_seed(0)
    q, k, v = torch.randn(2, 8, 6, 16), torch.randn(2, 2, 6, 16), torch.randn(2, 2, 6, 16)
    ours = grouped_query_attention(q, k, v, is_causal=True)
    ref = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
    print(f"grouped_query_attention ({whose()}), H=8 query heads over H_kv=2: max |diff| vs F.sdpa(enable_gqa=True) = {max_diff(ours, ref)}")
    model = TinyDecoder(vocab=64, dim=64, n_layers=3, n_heads=8, n_kv_heads=2, max_len=100)
    caches = model.new_caches(batch=4)
    real = sum(c.k.nbytes + c.v.nbytes for c in caches)
    formula = kv_cache_bytes(3, 2, 8, 100, batch=4, bytes_per_element=4)
    print(f"  KV cache of TinyDecoder(3 layers, 2 KV heads, head_dim 8), batch 4, max_len 100, float32: buffers "
          f"{real:,} bytes; kv_cache_bytes = 2*3*2*8*100*4*4 = {formula:,}")
    rows = []
    for name, cfg in LLAMA_CONFIGS.items():
        s = gqa_cache_saving(seq_len=8192, bytes_per_element=2, **cfg)
        rows.append([name, cfg["n_layers"], f"{cfg['n_heads']} / {cfg['n_kv_heads']}", cfg["head_dim"],
                     f"{s['bytes_per_token']:,}", f"{s['gqa_bytes'] / 2**30:.2f}", f"{s['mha_bytes'] / 2**30:.2f}", f"{s['ratio']:.0f}x"])
    table(["config (Llama 3 paper, Table 3)", "layers", "heads / KV heads", "head dim", "bytes per token",
           "cache GiB, 8192 tokens", "same with H_kv = H", "saving"], rows)
    print("  batch 1, bf16 (2 bytes per element); 2 * layers * KV heads * head_dim * tokens * bytes")


def kv_cache_demo(repeat: int = 5) -> float:
    torch.manual_seed(0)
    model = TinyDecoder(vocab=256, dim=256, n_layers=2, n_heads=8, n_kv_heads=2, max_len=512).eval()
    tokens = torch.randint(0, 256, (1, 64))
    with torch.no_grad():
        full, inc = model(tokens), incremental_logits(model, tokens, prefill=8)
    print(f"incremental_logits ({whose()}), prefill 8 then 56 steps of one token: max |diff| vs the full recompute = {max_diff(inc, full)}")
    prompt, n_new = tokens[:, :32], 256
    outputs: dict[bool, torch.Tensor] = {}

    def decode(use_cache: bool) -> None:
        outputs[use_cache] = generate(model, prompt, n_new, use_cache)

    cached = benchmark(lambda: decode(True), warmup=1, repeat=repeat)
    recomputed = benchmark(lambda: decode(False), warmup=0, repeat=repeat)
    print(f"generate: {n_new} new tokens after a 32-token prompt, the same tokens with and without the cache: "
          f"{torch.equal(outputs[True], outputs[False])}")
    speedup = recomputed.median / cached.median
    table(["decoding 256 tokens, TinyDecoder(dim 256, 2 layers, 8 heads, 2 KV heads)", "median (min–max)", "per token"], [
        ["KV cache (one token per step)", f"{format_seconds(cached.median)} ({format_seconds(cached.min)}–{format_seconds(cached.max)})", format_seconds(cached.median / n_new)],
        ["full recompute every step", f"{format_seconds(recomputed.median)} ({format_seconds(recomputed.min)}–{format_seconds(recomputed.max)})", format_seconds(recomputed.median / n_new)],
    ])
    print(f"  HEADLINE: KV-cache speed-up for 256 new tokens: {speedup:.1f}x (medians of {repeat}; {cpu_name()}, "
          f"{torch.get_num_threads()} threads; varies by machine and load)")
    return speedup


def main() -> None:
    args = runner_parser("Lab 2.1 runner: attention, masks, flash-style tiling, GQA and the KV cache").parse_args()
    seed_everything(0)
    start = time.perf_counter()
    print(f"Lab 2.1 attention | {describe_machine()}")
    where = "your exercises/ files" if whose() == "yours" else "solution/, the reference solution"
    print(f"code under test: {whose()} ({where})")

    section("Exercise 1: softmax and scaled dot-product attention")
    run_part(worked_example_3_tokens)
    run_part(stable_softmax_demo)
    scaling_demo(args.seeds)
    run_part(sdpa_agreement)

    section("Exercise 2: multi-head attention")
    run_part(multihead_demo)

    section("Exercise 3: masks for real batches")
    panels = run_part(masks_demo)

    section("Exercise 4: flash-style attention")
    run_part(flash_exactness)
    run_part(memory_table)
    run_part(timing_table)
    run_part(sdpa_backends)
    run_part(flex_attention_demo)

    section("Exercise 5: grouped-query attention and the KV cache")
    run_part(gqa_demo)
    run_part(kv_cache_demo)

    run_part(save_heatmaps, panels)
    print(f"done in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
