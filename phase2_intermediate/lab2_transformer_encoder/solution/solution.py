"""Lab 2.2 runner: positions (sinusoid, RoPE, ALiBi), modern block parts, the encoder layer, a
byte-level BPE tokenizer and masked-language-model pretraining on Python's documentation.

    cd phase2_intermediate/lab2_transformer_encoder && python solution/solution.py   (or: make run LAB=2.2)

Prints the worked examples the README quotes (marked WORKED EXAMPLE), the agreement of every
exercise with PyTorch's or Hugging Face's implementation, the BPE training time and compression,
the MLM loss curve and the accuracy of a classifier fine-tuned from the pretrained encoder versus
the same model from scratch over 5 seeds. Saves the positional-encoding figure and the MLM loss
curve under $LAB_OUTPUT_DIR (default: outputs/ in the lab folder). ``--full`` pretrains 4 times
longer.
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

from shared.datasets import corpus_info, corpus_paragraphs, text_corpus  # noqa: E402
from shared.devices import describe_machine, seed_everything  # noqa: E402
from shared.report import max_diff, output_dir, run_part, runner_parser, section, spread, table, whose  # noqa: E402
from shared.timing import benchmark, format_seconds  # noqa: E402

from exercise1_positions import (  # noqa: E402
    alibi_bias,
    alibi_slopes,
    apply_rope_half,
    apply_rope_interleaved,
    interleaved_to_half_permutation,
    rope_rotation_matrix,
    sinusoidal_encoding,
    sinusoidal_offset_matrix,
)
from exercise2_block_parts import RMSNorm, SwiGLU, gelu, residual, swiglu_hidden_size  # noqa: E402
from exercise3_encoder_layer import Encoder, EncoderLayer, encoder_layer_flops, encoder_layer_param_count  # noqa: E402
from exercise4_bpe import (  # noqa: E402
    BPETokenizer,
    bytes_per_token,
    pair_counts,
    pretokenize,
    split_special,
    train_bpe,
    train_merges,
)
from exercise5_mlm import (  # noqa: E402
    SequenceClassifier,
    TextEncoder,
    accuracy,
    mask_tokens,
    mlm_loss,
    order_task,
    redraw_layers,
    train_classifier,
)

SPECIALS = ["<pad>", "<mask>"]
N_MERGES = 1000
SEQ_LEN = 48
ORDER_STEPS = 100
# The classification task: paragraphs of four documentation sections (simple and compound
# statements together), labels in this order.
CLASSES = {"data model": 0, "library": 1, "expressions": 2, "simple statements": 3, "compound statements": 3}
CLASS_NAMES = ["data model", "library", "expressions", "statements"]


def fmt_row(t: torch.Tensor, width: int = 7, digits: int = 4) -> str:
    return "[" + ", ".join(f"{x:{width}.{digits}f}" for x in t.tolist()) + "]"


# ---------------------------------------------------------------------------------------------
# Exercise 1: positions
# ---------------------------------------------------------------------------------------------


def sinusoid_demo() -> torch.Tensor:
    pe = sinusoidal_encoding(4, 8, dtype=torch.float64)
    print("WORKED EXAMPLE (a): sinusoidal encoding, d_model = 8, w_i = 10000^(-2i/8) = 1, 0.1, 0.01, 0.001")
    for pos in range(4):
        print(f"  PE[{pos}] = {fmt_row(pe[pos])}")
    table64 = sinusoidal_encoding(256, 64, dtype=torch.float64)
    worst = 0.0
    for k in (1, 5, -3, 40):
        m = sinusoidal_offset_matrix(k, 64)
        lo, hi = max(0, -k), 256 - max(0, k)
        worst = max(worst, (table64[lo + k:hi + k] - table64[lo:hi] @ m.T).abs().max().item())
    print(f"  linear offsets: max |PE[pos+k] - M_k PE[pos]| over pos < 256, k in (1, 5, -3, 40), d = 64: {worst:.1e}")
    return table64


def rope_demo() -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    d = 8
    q = torch.randn(d, dtype=torch.float64, generator=g)
    k = torch.randn(d, dtype=torch.float64, generator=g)
    t = 32
    qs = apply_rope_interleaved(q.expand(t, d).clone())  # q at every position 0..T-1
    ks = apply_rope_interleaved(k.expand(t, d).clone())
    scores = qs @ ks.T  # scores[m, n] = <R_m q, R_n k>
    spread_along_diag = max((scores.diagonal(off) - scores.diagonal(off)[0]).abs().max().item() for off in range(-(t - 1), t))
    print("WORKED EXAMPLE (b): RoPE's scores depend on m - n only (D = 8, random q and k, float64)")
    print(f"  <R_m q, R_n k> for m, n < {t}: largest spread along a diagonal m - n = const: {spread_along_diag:.1e}")
    print(f"  score at (m, n) = (0, 0), (5, 5), (31, 31): {scores[0, 0]:.6f}, {scores[5, 5]:.6f}, {scores[31, 31]:.6f}")
    print(f"  score at (m, n) = (3, 0), (10, 7), (31, 28): {scores[3, 0]:.6f}, {scores[10, 7]:.6f}, {scores[31, 28]:.6f}")
    r = rope_rotation_matrix(3, d)
    print(f"  R_3 @ x equals apply_rope_interleaved at position 3: max |diff| = "
          f"{max_diff(apply_rope_interleaved(q.expand(4, d).clone())[3], r @ q)}")
    x = torch.randn(2, 4, 16, 64, dtype=torch.float64, generator=g)
    perm = interleaved_to_half_permutation(64)
    print(f"  layouts: apply_rope_half(x[..., perm]) vs apply_rope_interleaved(x)[..., perm], x (2, 4, 16, 64): "
          f"max |diff| = {max_diff(apply_rope_half(x[..., perm]), apply_rope_interleaved(x)[..., perm])}")
    print(f"  without the permutation: max |diff| = {max_diff(apply_rope_half(x), apply_rope_interleaved(x))}")
    return scores


def alibi_demo() -> None:
    print("ALiBi slopes (Press et al. 2022): 8 heads = 2^-1 .. 2^-8; 12 heads = the 8 slopes + 4 odd ones of 16")
    for n in (8, 12):
        s = alibi_slopes(n)
        print(f"  {n:2d} heads: " + ", ".join(f"2^{math.log2(v):g}" for v in s.tolist()))
    print(f"  bias of head 0 (slope 1/2), 4 positions: {(alibi_bias(8, 4)[0] + 0.0).tolist()}")  # + 0.0: no -0.0


def save_positions_figure(pe: torch.Tensor, scores: torch.Tensor) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.3))
    im = axes[0].imshow(pe.numpy().T, aspect="auto", cmap="RdBu", vmin=-1, vmax=1, origin="lower")
    axes[0].set_title("Sinusoidal encoding PE[pos, j], d_model = 64")
    axes[0].set_xlabel("position pos")
    axes[0].set_ylabel("feature j (even: sin, odd: cos)")
    fig.colorbar(im, ax=axes[0], fraction=0.046, label="value")
    im = axes[1].imshow(scores.numpy(), cmap="viridis", origin="upper")
    axes[1].set_title("RoPE score <R_m q, R_n k>: constant along m - n")
    axes[1].set_xlabel("key position n")
    axes[1].set_ylabel("query position m")
    fig.colorbar(im, ax=axes[1], fraction=0.046, label="score")
    fig.tight_layout()
    path = output_dir(LAB_DIR) / "lab2_2_positions.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"figure saved: {path}")


# ---------------------------------------------------------------------------------------------
# Exercise 2: block parts
# ---------------------------------------------------------------------------------------------


def block_parts_demo() -> None:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(4, 10, 32, generator=g) * 3 + 1
    mine, ref = RMSNorm(32), nn.RMSNorm(32)
    with torch.no_grad():
        ref.weight.copy_(torch.rand(32, generator=g) + 0.5)
    mine.load_state_dict(ref.state_dict())
    print(f"RMSNorm vs nn.RMSNorm (eps = None, float32): max |diff| = {max_diff(mine(x), ref(x))}")
    z = torch.linspace(-6, 6, 2001, dtype=torch.float64)
    print(f"gelu vs F.gelu: exact {max_diff(gelu(z), F.gelu(z))}, tanh {max_diff(gelu(z, 'tanh'), F.gelu(z, approximate='tanh'))}; "
          f"max |exact - tanh| on [-6, 6] = {max_diff(gelu(z), gelu(z, 'tanh'))}")
    rows = []
    for name, d, mult, multiple in (("LLaMA 7B", 4096, None, 256), ("LLaMA 13B", 5120, None, 256),
                                    ("LLaMA 65B", 8192, None, 256), ("Llama 2 70B", 8192, 1.3, 4096)):
        h = swiglu_hidden_size(d, multiple, mult)
        rows.append([name, d, mult if mult else "-", multiple, h, f"{h / d:.3f}"])
    print("SwiGLU hidden size by LLaMA's rule (hidden = int(8d/3), times ffn_dim_multiplier, rounded up):")
    table(["model", "d_model", "multiplier", "multiple_of", "hidden", "hidden / d"], rows)
    d = 64
    sw = SwiGLU(d, multiple_of=32)
    mlp = sum(p.numel() for p in (nn.Linear(d, 4 * d, bias=False), nn.Linear(4 * d, d, bias=False)) for p in p.parameters())
    print(f"  d = 64: SwiGLU hidden {sw.w1.out_features}, {sum(p.numel() for p in sw.parameters())} parameters; "
          f"a 4d GELU MLP without biases: {mlp}")


def norm_placement_demo(seeds: int, depths: tuple[int, ...] = (1, 4, 16)) -> None:
    """Gradient norm of the LAST layer's linear2.weight at initialisation as the stack gets deeper.

    Xiong et al. 2020 bound it at initialisation: with post-norm independently of the depth L,
    with pre-norm by a bound that shrinks like 1/sqrt(L). Loss: cross-entropy of a random linear head (100 classes)
    against random targets, on random inputs, so the gradient flows as it would at step 0.
    """
    rows = []
    for norm_first in (False, True):
        means = []
        for depth in depths:
            norms = []
            for seed in range(seeds):
                torch.manual_seed(seed)
                layer = EncoderLayer(64, 4, 256, dropout=0.0, norm_first=norm_first)
                enc = Encoder(layer, depth, norm=nn.LayerNorm(64) if norm_first else None)
                redraw_layers(enc.layers)  # independent layers, not copies of one
                head = nn.Linear(64, 100)
                x, y = torch.randn(8, 32, 64), torch.randint(100, (8, 32))
                F.cross_entropy(head(enc(x)).flatten(0, 1), y.flatten()).backward()
                norms.append(enc.layers[-1].linear2.weight.grad.norm().item())
            means.append(spread(norms, ".3f"))
        rows.append(["pre-norm" if norm_first else "post-norm"] + means)
    print(f"gradient norm of the last layer's linear2.weight at initialisation (d = 64, cross-entropy of a random "
          f"head on random targets), {seeds} seeds:")
    table(["wiring"] + [f"L = {d}" for d in depths], rows)


# ---------------------------------------------------------------------------------------------
# Exercise 3: the encoder layer
# ---------------------------------------------------------------------------------------------


def encoder_agreement() -> None:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(3, 9, 32, dtype=torch.float64, generator=g)
    pad = torch.zeros(3, 9, dtype=torch.bool)
    pad[1, 6:] = True
    pad[2, 3:] = True
    rows = []
    for norm_first in (False, True):
        for act in ("relu", "gelu"):
            torch.manual_seed(1)
            ref = nn.TransformerEncoderLayer(32, 4, 64, dropout=0.0, activation=act, batch_first=True,
                                             norm_first=norm_first, dtype=torch.float64)
            mine = EncoderLayer(32, 4, 64, dropout=0.0, activation=act, norm_first=norm_first).double()
            mine.load_state_dict(ref.state_dict())
            rows.append([f"norm_first={norm_first}", act, max_diff(mine(x, src_key_padding_mask=pad),
                                                                   ref(x, src_key_padding_mask=pad))])
    ref_layer = nn.TransformerEncoderLayer(32, 4, 64, dropout=0.0, batch_first=True, norm_first=True, dtype=torch.float64)
    ref_stack = nn.TransformerEncoder(ref_layer, 3, norm=nn.LayerNorm(32, dtype=torch.float64), enable_nested_tensor=False)
    mine_stack = Encoder(EncoderLayer(32, 4, 64, dropout=0.0, norm_first=True), 3, norm=nn.LayerNorm(32)).double()
    mine_stack.load_state_dict(ref_stack.state_dict())
    rows.append(["3-layer stack + final norm", "relu", max_diff(mine_stack(x, src_key_padding_mask=pad),
                                                               ref_stack(x, src_key_padding_mask=pad))])
    print(f"EncoderLayer ({whose()}) vs nn.TransformerEncoderLayer (batch_first, dropout 0, float64, padding mask):")
    table(["wiring", "activation", "max |diff|"], rows)


def encoder_counts() -> None:
    rows = []
    for name, d, f in (("2017 Transformer base", 512, 2048), ("BERT-base", 768, 3072), ("BERT-large", 1024, 4096)):
        count = encoder_layer_param_count(d, f)
        counted = sum(p.numel() for p in nn.TransformerEncoderLayer(d, 8, f, batch_first=True).parameters())
        rows.append([name, d, f, f"{count:,}", f"{counted:,}"])
    print("Parameters of one layer: 4d^2 + 2df + 9d + f, and counted on nn.TransformerEncoderLayer:")
    table(["config", "d", "f", "formula", "counted"], rows)
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.utils.flop_counter import FlopCounterMode

    rows = []
    d, f = 768, 3072
    for t in (128, 512, 2048, 8192):
        total = encoder_layer_flops(t, d, f)
        attn = 4 * t * t * d
        rows.append([t, f"{total / 1e9:.2f}", f"{100 * attn / total:.1f} %"])
    layer = EncoderLayer(64, 4, 256, dropout=0.0)
    with sdpa_kernel(SDPBackend.MATH), FlopCounterMode(display=False) as counter, torch.no_grad():
        layer(torch.randn(1, 100, 64))
    with FlopCounterMode(display=False) as default_counter, torch.no_grad():
        layer(torch.randn(1, 100, 64))
    print("Forward GFLOPs of one BERT-base layer (d = 768, f = 3072) on one sequence: 8Td^2 + 4T^2d + 4Tdf")
    table(["T", "GFLOP", "share of the T^2 terms"], rows)
    print(f"  FlopCounterMode on a d = 64, f = 256 layer, T = 100 (MATH backend): {counter.get_total_flops():,}; "
          f"formula {encoder_layer_flops(100, 64, 256):,}; on the default CPU backend it sees only the linear "
          f"layers: {default_counter.get_total_flops():,}")


# ---------------------------------------------------------------------------------------------
# Exercise 4: BPE
# ---------------------------------------------------------------------------------------------


def bpe_textbook() -> None:
    merges, vocab = train_merges({b"low": 5, b"lower": 2, b"newest": 6, b"widest": 3}, 8)
    shown = ", ".join(f"{vocab[a].decode()} {vocab[b].decode()}" for a, b in merges)
    print("WORKED EXAMPLE (c): BPE on {low: 5, lower: 2, newest: 6, widest: 3}, 8 merges, ties to the greater pair:")
    print(f"  {shown}")
    print(f"  pre-tokens of 'Hello world!! 3.14 it\\'s': {pretokenize('Hello world!! 3.14 it' + chr(39) + 's')}")


def gpt2_byte_of_char() -> dict[str, int]:
    """The inverse of GPT-2's bytes_to_unicode (openai/gpt-2, src/encoder.py): the printable character
    that Hugging Face's ByteLevel stores for each byte -> the byte. A relabelling, nothing more."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    others = [b for b in range(256) if b not in printable]  # shown as chr(256), chr(257), ... in order
    return {**{chr(b): b for b in printable}, **{chr(256 + n): b for n, b in enumerate(others)}}


def counts_before_merge(tok, docs: list[str], k: int, pairs: list[tuple[bytes, bytes]]) -> list[int]:
    """How often each byte pair occurs in ``docs`` after the first k merges of ``tok``."""
    from collections import Counter

    partial = BPETokenizer(tok.merges[:k], {i: tok.vocab[i] for i in range(256 + k)})
    words = Counter(pre for doc in docs for piece in split_special(doc, SPECIALS) if piece not in SPECIALS
                    for pre in pretokenize(piece))
    counts = pair_counts({tuple(partial._encode_pretoken(w)): n for w, n in words.items()})
    ids = {v: i for i, v in partial.vocab.items()}
    return [counts.get((ids[a], ids[b]), 0) if a in ids and b in ids else 0 for a, b in pairs]


def compare_merges(tok, hf, docs: list[str]) -> None:
    import json

    byte_of = gpt2_byte_of_char()
    to_bytes = lambda s: bytes(byte_of[c] for c in s)  # noqa: E731
    merges = json.loads(hf.to_str())["model"]["merges"]
    hf_pairs = [tuple(to_bytes(x) for x in (m.split(" ") if isinstance(m, str) else m)) for m in merges]
    ours = [(tok.vocab[a], tok.vocab[b]) for a, b in tok.merges]
    first = next((i for i, (x, y) in enumerate(zip(ours, hf_pairs)) if x != y), min(len(ours), len(hf_pairs)))
    shared_tokens = {a + b for a, b in ours} & {a + b for a, b in hf_pairs}
    if first == min(len(ours), len(hf_pairs)):
        print(f"  all {first} merges identical to Hugging Face's")
        return
    n_ours, n_hf = counts_before_merge(tok, docs, first, [ours[first], hf_pairs[first]])
    print(f"  merges identical to Hugging Face's up to merge {first} (0-based), where ours is {ours[first]} and "
          f"theirs {hf_pairs[first]}, occurring {n_ours} and {n_hf} times"
          f"{': a tie, broken the other way' if n_ours == n_hf else ''}; "
          f"{len(shared_tokens)} of {len(ours)} merged tokens are in both vocabularies")


def bpe_corpus(repeat: int = 5):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    docs, held_out = text_corpus("train"), text_corpus("validation")
    vocab_size = 256 + N_MERGES + len(SPECIALS)
    trained = []  # every timed run trains the same tokenizer; keep the last
    mine_time = benchmark(lambda: trained.append(train_bpe(docs, vocab_size, SPECIALS)), warmup=0, repeat=repeat)
    tok = trained[-1]

    def hf_train():
        hf = Tokenizer(models.BPE())
        hf.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        hf.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIALS, min_frequency=0,
                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
        hf.train_from_iterator(docs, trainer)
        return hf

    hf_runs = []
    hf_time = benchmark(lambda: hf_runs.append(hf_train()), warmup=0, repeat=repeat)
    hf = hf_runs[-1]

    class HF:
        def encode(self, text):
            return hf.encode(text).ids

    rows = [[f"this lab ({whose()})", tok.vocab_size, f"{bytes_per_token(tok, docs):.3f}",
             f"{bytes_per_token(tok, held_out):.3f}", format_seconds(mine_time.median)],
            ["Hugging Face tokenizers", hf.get_vocab_size(), f"{bytes_per_token(HF(), docs):.3f}",
             f"{bytes_per_token(HF(), held_out):.3f}", format_seconds(hf_time.median)]]
    print(f"Byte-level BPE, {N_MERGES} merges + {len(SPECIALS)} special tokens, trained on the {len(docs)} train "
          f"topics ({sum(len(d) for d in docs):,} characters); bytes per token (higher = shorter sequences), "
          f"training time (median of {repeat}, range {format_seconds(mine_time.min)}-{format_seconds(mine_time.max)} "
          f"here; Hugging Face's is Rust):")
    table(["tokenizer", "vocab", "bytes/token train", "bytes/token validation", "train time"], rows)
    compare_merges(tok, hf, docs)
    first = [tok.vocab[256 + i] for i in range(12)]
    print(f"  first 12 merges: {first}")
    longest = sorted((v for i, v in tok.vocab.items() if 256 <= i < 256 + N_MERGES), key=len)[-5:]
    print(f"  five longest tokens: {longest}")
    text = "Naïve 🤗 emoji: ok <mask>"
    ids = tok.encode(text)
    print(f"  encode({text!r}) = {ids}")
    print(f"  pieces: {[tok.decode_bytes([i]) for i in ids]}; decode(encode(text)) == text: {tok.decode(ids) == text}")
    return tok


# ---------------------------------------------------------------------------------------------
# Exercise 5: MLM pretraining and fine-tuning
# ---------------------------------------------------------------------------------------------


def masking_demo(tok) -> None:
    ids = torch.tensor([tok.encode(" The \"for\" statement is used to iterate over the elements of a sequence")])
    g = torch.Generator().manual_seed(0)
    inputs, labels = mask_tokens(ids, tok.special_tokens["<mask>"], tok.vocab_size, mlm_probability=0.15, generator=g)
    print(f"WORKED EXAMPLE (d): mask_tokens on one sentence ({ids.size(1)} tokens), generator seed 0, p = 0.15")
    print(f"  input ids : {ids[0].tolist()}")
    print(f"  inputs    : {inputs[0].tolist()}")
    print(f"  labels    : {labels[0].tolist()}")
    big = torch.randint(0, 1000, (256, 512), generator=torch.Generator().manual_seed(1))
    inputs, labels = mask_tokens(big, 1000, 1001, generator=torch.Generator().manual_seed(2))
    picked = labels != -100
    n = picked.sum().item()
    masked = (inputs == 1000) & picked
    same = (inputs == big) & picked
    print(f"  on 131,072 random ids: picked {100 * n / big.numel():.2f} %; of those [MASK] {100 * masked.sum() / n:.2f} %, "
          f"random {100 * (picked & ~masked & ~same).sum() / n:.2f} %, unchanged {100 * same.sum() / n:.2f} % "
          "(a random draw equal to the original counts as unchanged)")


def order_task_demo(seeds: int) -> None:
    x, y = order_task(2000, seed=0)
    xt, yt = order_task(1000, seed=1)
    rows = []
    for positions in ("learned", "none"):
        accs = []
        for seed in range(seeds):
            torch.manual_seed(seed)
            model = SequenceClassifier(TextEncoder(10, d_model=16, n_heads=2, n_layers=1, dim_feedforward=32,
                                                   max_len=12, positions=positions), 2)
            train_classifier(model, x, y, steps=ORDER_STEPS, batch_size=64, lr=3e-3, seed=seed)
            accs.append(accuracy(model, xt, yt))
        rows.append([positions, spread(accs)])
    print(f"Order task (is A before B? 12 tokens, same bag of tokens in both classes), d = 16, 1 layer, "
          f"{ORDER_STEPS} steps, {seeds} seeds, "
          "accuracy on 1,000 held-out sequences:")
    table(["positions", "accuracy"], rows)


def encode_paragraphs(tok, pad_id: int):
    paras = [(text, CLASSES[sec]) for text, _, sec in corpus_paragraphs("all") if sec in CLASSES]
    ids = torch.full((len(paras), SEQ_LEN), pad_id)
    pad = torch.ones(len(paras), SEQ_LEN, dtype=torch.bool)
    for i, (text, _) in enumerate(paras):
        e = tok.encode(text)[:SEQ_LEN]
        ids[i, :len(e)] = torch.tensor(e)
        pad[i, :len(e)] = False
    return ids, pad, torch.tensor([c for _, c in paras])


def make_encoder(vocab_size: int) -> TextEncoder:
    return TextEncoder(vocab_size, d_model=64, n_heads=4, n_layers=2, dim_feedforward=256, max_len=SEQ_LEN)


def pretrain(tok, steps: int, batch_size: int = 32, lr: float = 1e-3) -> tuple[dict, list[float]]:
    stream = torch.tensor([i for doc in text_corpus("train") for i in tok.encode(doc)])
    torch.manual_seed(0)
    model = make_encoder(tok.vocab_size)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    g = torch.Generator().manual_seed(0)
    losses = []
    start = time.perf_counter()
    for _ in range(steps):
        starts = torch.randint(len(stream) - SEQ_LEN, (batch_size,), generator=g)
        batch = torch.stack([stream[s:s + SEQ_LEN] for s in starts.tolist()])
        inputs, labels = mask_tokens(batch, tok.special_tokens["<mask>"], tok.vocab_size, generator=g)
        loss = mlm_loss(model, inputs, labels)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    took = time.perf_counter() - start
    marks = [0, steps // 4, steps // 2, 3 * steps // 4, steps - 1]
    n_params = sum(p.numel() for p in model.parameters())
    print(f"MLM pretraining on the train topics ({len(stream):,} tokens), d = 64, 2 layers, {n_params:,} parameters, "
          f"T = {SEQ_LEN}, batch {batch_size}, AdamW lr {lr}, {steps} steps in {took:.1f} s (one run):")
    print(f"  loss at step 0: {losses[0]:.3f} (ln(vocab) = {math.log(tok.vocab_size):.3f}); mean of the 10 steps up to step "
          + ", ".join(f"{m}: {sum(losses[m - 9:m + 1]) / 10:.3f}" for m in marks[1:]))
    return {k: v.clone() for k, v in model.state_dict().items()}, losses


def finetune_comparison(tok, state: dict, seeds: int, per_class: int = 16, steps: int = 50) -> None:
    ids, pad, y = encode_paragraphs(tok, tok.special_tokens["<pad>"])
    n_classes = len(CLASS_NAMES)
    result = {"pretrained": [], "from scratch": []}
    for seed in range(seeds):
        g = torch.Generator().manual_seed(100 + seed)
        labelled = torch.cat([torch.nonzero(y == c).flatten()[torch.randperm(int((y == c).sum()), generator=g)[:per_class]]
                              for c in range(n_classes)])
        test = torch.ones(len(y), dtype=torch.bool)
        test[labelled] = False
        for kind in result:
            torch.manual_seed(seed)
            encoder = make_encoder(tok.vocab_size)
            if kind == "pretrained":
                encoder.load_state_dict(state)
            model = SequenceClassifier(encoder, n_classes)
            train_classifier(model, ids[labelled], y[labelled], pad[labelled], steps=steps, batch_size=32, lr=1e-3, seed=seed)
            result[kind].append(accuracy(model, ids[test], y[test], pad[test]))
    counts = [int((y == c).sum()) for c in range(n_classes)]
    print(f"Section classification: {len(y)} paragraphs of {', '.join(f'{n} ({c})' for n, c in zip(CLASS_NAMES, counts))}; "
          f"{per_class} labelled per class, the other {int(test.sum())} held out; {steps} steps; {seeds} seeds "
          f"(majority class {max(counts) / len(y):.3f}):")
    table(["encoder", "held-out accuracy"], [[k, spread(v)] for k, v in result.items()])
    wins = sum(a > b for a, b in zip(result["pretrained"], result["from scratch"]))
    print(f"  pretrained ahead in {wins} of {seeds} seeds (same seed = same labelled set and head init)")


def save_loss_curve(losses: list[float]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4))
    ax.plot(losses, lw=0.8, alpha=0.5, label="loss per step")
    k = 20
    smooth = [sum(losses[max(0, i - k + 1):i + 1]) / len(losses[max(0, i - k + 1):i + 1]) for i in range(len(losses))]
    ax.plot(smooth, lw=2, label=f"mean of the last {k} steps")
    ax.set_xlabel("step")
    ax.set_ylabel("MLM cross-entropy (nats)")
    ax.set_title("Masked-language-model pretraining on Python's documentation")
    ax.legend()
    fig.tight_layout()
    path = output_dir(LAB_DIR) / "lab2_2_mlm_loss.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"figure saved: {path}")


def main() -> None:
    args = runner_parser("Lab 2.2 runner: positions, block parts, the encoder layer, BPE and MLM pretraining").parse_args()
    seed_everything(0)
    start = time.perf_counter()
    print(f"Lab 2.2 transformer encoder | {describe_machine()}")
    where = "your exercises/ files" if whose() == "yours" else "solution/, the reference solution"
    print(f"code under test: {whose()} ({where})")
    info = corpus_info()
    print(f"corpus: {info['source']} of Python {info['python']}: {info['topics']['train']} train topics "
          f"({info['characters']['train']:,} characters), {info['topics']['validation']} validation topics "
          f"({info['characters']['validation']:,})")

    section("Exercise 1: positional information")
    pe = run_part(sinusoid_demo)
    scores = run_part(rope_demo)
    run_part(alibi_demo)

    section("Exercise 2: block parts")
    run_part(block_parts_demo)
    run_part(norm_placement_demo, args.seeds)

    section("Exercise 3: the encoder layer")
    run_part(encoder_agreement)
    run_part(encoder_counts)

    section("Exercise 4: byte-level BPE")
    run_part(bpe_textbook)
    tok = run_part(bpe_corpus)

    section("Exercise 5: MLM pretraining and fine-tuning")
    run_part(masking_demo, tok)  # a part whose input was skipped is skipped too
    run_part(order_task_demo, args.seeds)
    pretrained = run_part(pretrain, tok, 1600 if args.full else 400)
    if pretrained:
        state, losses = pretrained
        run_part(finetune_comparison, tok, state, args.seeds)
        run_part(save_loss_curve, losses)
    run_part(save_positions_figure, pe, scores)
    print(f"done in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
