"""Lab 2.3 runner: the encoder-decoder against nn.Transformer, training it on a task with a known
answer, decoding (greedy, beam, samplers), a small GPT on Python's documentation with a KV cache,
and the LSTM encoder-decoder the transformer replaced.

    cd phase2_intermediate/lab3_transformer_full && python solution/solution.py   (or: make run LAB=2.3)

Prints the worked examples the README quotes (marked WORKED EXAMPLE), the agreement of every
exercise with PyTorch's implementation, the exact-match of the transformer and the LSTM on held-out
reversals over 5 seeds with their length generalisation, the language model's validation
perplexity against unigram and bigram baselines, samples, and the KV-cache speed-up. Saves the
length-generalisation plot under $LAB_OUTPUT_DIR (default: outputs/ in the lab folder).
``--full`` trains the seq2seq models 1000 steps instead of 150 and the GPT 900 instead of 300.
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

from shared.datasets import corpus_info, text_corpus  # noqa: E402
from shared.devices import describe_machine, seed_everything  # noqa: E402
from shared.report import max_diff, output_dir, run_part, runner_parser, section, spread, table, whose  # noqa: E402
from shared.timing import benchmark, format_seconds  # noqa: E402

from exercise1_seq2seq import Seq2SeqTransformer, Transformer, causal_mask  # noqa: E402
from exercise2_training import (  # noqa: E402
    BOS,
    EOS,
    FIRST_SYMBOL,
    bucket_batches,
    exact_match,
    greedy_translate,
    label_smoothed_cross_entropy,
    noam_lr,
    pad_batch,
    padding_fraction,
    reversal_pairs,
    teacher_forcing_split,
    train_seq2seq,
)
from exercise3_decoding import beam_search, length_penalty, sample, sampling_distribution  # noqa: E402
from exercise4_gpt import (  # noqa: E402
    GPT,
    encode_documents,
    evaluate_lm,
    generate,
    get_batch,
    ngram_cross_entropy,
    perplexity,
    train_lm,
    train_tokenizer,
)
from exercise5_lstm import LSTM, Seq2SeqLSTM, count_parameters  # noqa: E402

# The reversal task and the two models compared on it.
N_SYMBOLS, MIN_LEN, MAX_LEN, LONGEST = 10, 2, 8, 16
N_TRAIN, N_TEST, N_PER_LONG_LENGTH = 20_000, 1_000, 100
BATCH, WARMUP = 128, 100
TRANSFORMER = dict(d_model=32, nhead=4, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=128, dropout=0.0)
LSTM_SIZES = dict(embed_dim=32, hidden_size=64)
# The language model.
VOCAB, CONTEXT = 512, 64
GPT_SIZES = dict(d_model=64, n_heads=4, n_layers=2)


def fmt(t: torch.Tensor, digits: int = 4) -> str:
    return "[" + ", ".join(f"{x:.{digits}f}" for x in t.tolist()) + "]"


# ---------------------------------------------------------------------------------------------
# Exercise 1: the encoder-decoder
# ---------------------------------------------------------------------------------------------


def seq2seq_agreement() -> None:
    torch.manual_seed(0)
    src, tgt = torch.randn(3, 7, 16, dtype=torch.float64), torch.randn(3, 5, 16, dtype=torch.float64)
    src_pad = torch.zeros(3, 7, dtype=torch.bool)
    src_pad[1, 4:] = True
    tgt_pad = torch.zeros(3, 5, dtype=torch.bool)
    tgt_pad[2, 3:] = True
    rows = []
    for norm_first in (False, True):
        ref = nn.Transformer(16, 4, 2, 2, 32, 0.0, batch_first=True, norm_first=norm_first).double()
        mine = Transformer(16, 4, 2, 2, 32, 0.0, norm_first=norm_first).double()
        mine.load_state_dict(ref.state_dict())
        a = ref(src, tgt, tgt_mask=nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64),
                src_key_padding_mask=src_pad, tgt_key_padding_mask=tgt_pad, memory_key_padding_mask=src_pad)
        b = mine(src, tgt, tgt_mask=causal_mask(5), src_key_padding_mask=src_pad, tgt_key_padding_mask=tgt_pad,
                 memory_key_padding_mask=src_pad)
        (a.sum() + (a ** 2).sum()).backward()
        (b.sum() + (b ** 2).sum()).backward()
        grad = max((p.grad - q.grad).abs().max().item() for p, q in zip(ref.parameters(), mine.parameters()))
        rows.append(["pre-norm" if norm_first else "post-norm", len(ref.state_dict()), max_diff(a, b), f"{grad:.1e}"])
    print("Transformer vs nn.Transformer(batch_first=True), d = 16, 4 heads, 2 + 2 layers, float64, state dict "
          "copied; causal target mask, source padding masks on encoder and cross-attention:")
    table(["layout", "tensors", "max |output diff|", "max |grad diff|"], rows)
    model = Seq2SeqTransformer(N_SYMBOLS + FIRST_SYMBOL, **TRANSFORMER)
    untied = count_parameters(model) + model.embed.weight.numel()
    print(f"  Seq2SeqTransformer for the task: {count_parameters(model):,} parameters; the generator "
          f"shares the embedding ({model.generator.weight is model.embed.weight}), untied it would be {untied:,}")


# ---------------------------------------------------------------------------------------------
# Exercise 2: training
# ---------------------------------------------------------------------------------------------


def training_pieces() -> None:
    logits = torch.tensor([[2.0, 0.5, -1.0, 0.0], [0.0, 0.0, 0.0, 0.0], [1.0, 3.0, 0.0, -2.0]])
    target = torch.tensor([0, -100, 1])
    ours = label_smoothed_cross_entropy(logits, target, 0.1)
    ref = F.cross_entropy(logits, target, label_smoothing=0.1, ignore_index=-100)
    print("WORKED EXAMPLE (a): label smoothing eps = 0.1 over C = 4 classes, the middle row is padding (-100)")
    logp = F.log_softmax(logits, -1)
    for r in (0, 2):
        y = int(target[r])
        print(f"  row {r}: -log p_y = {-logp[r, y].item():.4f}, mean_c -log p_c = {-logp[r].mean().item():.4f} "
              f"-> 0.9 * {-logp[r, y].item():.4f} + 0.1 * {-logp[r].mean().item():.4f} = "
              f"{(0.9 * -logp[r, y] + 0.1 * -logp[r].mean()).item():.4f}")
    print(f"  mean over the 2 real rows: {ours.item():.4f}; F.cross_entropy(label_smoothing=0.1): {ref.item():.4f}")
    print("WORKED EXAMPLE (b): the warm-up schedule, the paper's d_model = 512, warmup = 4000")
    steps = [1, 1000, 4000, 16000, 100000]
    table(["step"] + [str(s) for s in steps], [["lr"] + [f"{noam_lr(s, 512, 4000):.2e}" for s in steps]])
    tgt = pad_batch([[5, 6, 7], [8]], bos=BOS, eos=EOS)
    dec_in, labels = teacher_forcing_split(tgt)
    print("WORKED EXAMPLE (c): teacher forcing on targets [5, 6, 7] and [8] (PAD 0, BOS 1, EOS 2)")
    print(f"  padded target {tgt.tolist()}\n  decoder input {dec_in.tolist()}\n  labels        {labels.tolist()}")
    g = torch.Generator().manual_seed(0)
    lengths = [len(s) + 1 for s, _ in reversal_pairs(N_TRAIN, MIN_LEN, MAX_LEN, N_SYMBOLS, g)]
    plain = [list(range(i, min(i + BATCH, len(lengths)))) for i in range(0, len(lengths), BATCH)]
    bucketed = bucket_batches(lengths, BATCH, torch.Generator().manual_seed(0))
    print(f"  padding in one epoch of the task's {N_TRAIN:,} sources (lengths {MIN_LEN + 1}-{MAX_LEN + 1} with EOS), "
          f"batches of {BATCH}: in random order {padding_fraction(plain, lengths):.1%} of the cells, "
          f"length-bucketed {padding_fraction(bucketed, lengths):.1%}")


def task_data():
    g = torch.Generator().manual_seed(0)
    train = reversal_pairs(N_TRAIN, MIN_LEN, MAX_LEN, N_SYMBOLS, g)
    seen = {tuple(s) for s, _ in train}
    test = reversal_pairs(N_TEST, MIN_LEN, MAX_LEN, N_SYMBOLS, g, exclude=seen)
    # Per length: the held-out pairs of that length (short lengths have few: all 100 sequences of
    # length 2 are in the training set), then unseen longer ones.
    by_length = {n: [p for p in test if len(p[0]) == n] for n in range(MIN_LEN, MAX_LEN + 1)}
    by_length = {n: pairs for n, pairs in by_length.items() if len(pairs) >= 20}
    for n in range(MAX_LEN + 1, LONGEST + 1):
        by_length[n] = reversal_pairs(N_PER_LONG_LENGTH, n, n, N_SYMBOLS, g)
    return train, test, by_length


def train_one(kind: str, seed: int, train, steps: int):
    torch.manual_seed(seed)
    if kind == "transformer":
        model = Seq2SeqTransformer(N_SYMBOLS + FIRST_SYMBOL, max_len=64, **TRANSFORMER)
    else:
        model = Seq2SeqLSTM(N_SYMBOLS + FIRST_SYMBOL, **LSTM_SIZES)
    start = time.perf_counter()
    losses = train_seq2seq(model, train, steps, batch_size=BATCH, warmup=WARMUP,
                           generator=torch.Generator().manual_seed(seed))
    return model, time.perf_counter() - start, losses


def task_comparison(seeds: int, steps: int):
    train, test, by_length = task_data()
    print(f"Task: reverse a sequence of {N_SYMBOLS} symbols. {N_TRAIN:,} training pairs of lengths {MIN_LEN}-{MAX_LEN}; "
          f"{N_TEST:,} held-out pairs of the same lengths, none in the training set; {N_PER_LONG_LENGTH} "
          f"pairs per length {MAX_LEN + 1}-{LONGEST} for length generalisation. {steps} steps of batch {BATCH}, "
          f"warm-up {WARMUP}, label smoothing 0.1; exact-match by greedy decoding; seeds 0-{seeds - 1}.")
    results = {}
    for kind in ("transformer", "lstm"):
        runs = []
        for seed in range(seeds):
            model, seconds, losses = train_one(kind, seed, train, steps)
            curve = {n: exact_match(model, pairs) for n, pairs in by_length.items()}
            runs.append(dict(params=count_parameters(model), seconds=seconds, em=exact_match(model, test),
                             curve=curve, loss=losses[-1]))
        results[kind] = runs
    rows = []
    for kind, runs in results.items():
        longer = [sum(r["curve"][n] for n in range(MAX_LEN + 1, MAX_LEN + 5)) / 4 for r in runs]
        rows.append([kind, f"{runs[0]['params']:,}", spread([r["seconds"] for r in runs], ".1f", " s"),
                     spread([r["em"] for r in runs], ".3f"), spread(longer, ".3f")])
    table(["model", "parameters", "training time", f"exact-match held-out (lengths {MIN_LEN}-{MAX_LEN})",
           f"exact-match lengths {MAX_LEN + 1}-{MAX_LEN + 4}"], rows)
    print("  exact-match by length (mean over seeds):")
    lengths = list(by_length)
    table(["model"] + [str(n) for n in lengths],
          [[kind] + [f"{sum(r['curve'][n] for r in runs) / len(runs):.2f}" for n in lengths]
           for kind, runs in results.items()])
    return results, train, test


def save_length_plot(results) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for kind, runs in results.items():
        lengths = sorted(runs[0]["curve"])
        mean = [sum(r["curve"][n] for r in runs) / len(runs) for n in lengths]
        lo = [min(r["curve"][n] for r in runs) for n in lengths]
        hi = [max(r["curve"][n] for r in runs) for n in lengths]
        ax.plot(lengths, mean, marker="o", label=kind)
        ax.fill_between(lengths, lo, hi, alpha=0.2)
    ax.axvspan(MIN_LEN - 0.5, MAX_LEN + 0.5, color="0.9", zorder=0, label="training lengths")
    ax.set_xlabel("sequence length")
    ax.set_ylabel("exact-match (unseen sequences)")
    ax.set_title("Reversal: length generalisation (mean, min-max over seeds)")
    ax.legend()
    fig.tight_layout()
    path = output_dir(LAB_DIR) / "lab2_3_length_generalisation.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    print(f"saved {path}")


# ---------------------------------------------------------------------------------------------
# Exercise 3: decoding
# ---------------------------------------------------------------------------------------------


def beam_argmax_demo() -> None:
    # A two-step toy model: after BOS, EOS and symbol 1 have probability 0.4 each, symbols 2 and 3
    # 0.1; after a symbol, EOS has 0.9. The single most probable output is the empty one.
    after_bos = torch.tensor([0.4, 0.4, 0.1, 0.1]).log()
    after_symbol = torch.tensor([0.9, 0.1 / 3, 0.1 / 3, 0.1 / 3]).log()

    def next_log_probs(prefixes):
        return torch.stack([after_bos if len(row) == 1 else after_symbol for row in prefixes.tolist()])

    print("WORKED EXAMPLE (d): the argmax problem. Tokens: EOS = 0, symbols 1-3. After BOS, p(EOS) = p(1) = 0.4, "
          "p(2) = p(3) = 0.1; after a symbol, p(EOS) = 0.9. The empty output [EOS] has probability 0.4, every "
          "non-empty output together 0.6.")
    for alpha in (0.0, 1.0):
        best = beam_search(next_log_probs, bos_id=9, eos_id=0, beam_size=4, max_len=3, alpha=alpha)
        top = ", ".join(f"{toks} {score:.4f}" for toks, score in best[:3])
        print(f"  alpha = {alpha}: best three {top}")
    print(f"  log 0.4 = {math.log(0.4):.4f} vs log(0.4 * 0.9) = {math.log(0.36):.4f}; with lp(1) = "
          f"{length_penalty(1, 1.0):.4f}, lp(2) = {length_penalty(2, 1.0):.4f}: {math.log(0.4):.4f} vs "
          f"{math.log(0.36) / length_penalty(2, 1.0):.4f}")


def sampler_demo() -> None:
    logits = torch.tensor([2.0, 1.0, 1.0, 0.0, -1.0, -2.0])
    print(f"WORKED EXAMPLE (e): the samplers' distributions for logits {logits.tolist()}")
    settings = [("T = 1", {}), ("T = 0.5", dict(temperature=0.5)), ("T = 2", dict(temperature=2.0)),
                ("top-k = 2", dict(top_k=2)), ("top-p = 0.5", dict(top_p=0.5)), ("top-p = 0.6", dict(top_p=0.6)),
                ("top-p = 0.9", dict(top_p=0.9))]
    rows = []
    g = torch.Generator().manual_seed(0)
    n = 20_000
    for name, kw in settings:
        p = sampling_distribution(logits, **kw)
        draws = sample(logits.expand(n, -1), generator=g, **kw)
        freq = torch.bincount(draws, minlength=len(logits)).double() / n
        chi2 = sum(((freq[i] - p[i]) ** 2 * n / p[i]).item() for i in range(len(logits)) if p[i] > 0)
        kept = int((p > 0).sum())
        rows.append([name, fmt(p, 3), kept, f"{chi2:.1f}", f"{(freq[p == 0].sum()).item():.0f}"])
    table(["setting", "distribution", "kept", f"chi2 of {n:,} draws (df = kept - 1)", "draws outside"], rows)


# ---------------------------------------------------------------------------------------------
# Exercise 4: the GPT
# ---------------------------------------------------------------------------------------------


def language_model(steps: int):
    docs, held_out = text_corpus("train"), text_corpus("validation")
    start = time.perf_counter()
    tok = train_tokenizer(docs, VOCAB)
    tok_time = time.perf_counter() - start
    train_ids, val_ids = encode_documents(tok, docs), encode_documents(tok, held_out)
    val_bytes = sum(len(d.encode("utf-8")) for d in held_out)
    print(f"Tokenizer: Hugging Face byte-level BPE, vocabulary {tok.get_vocab_size()}, trained in "
          f"{format_seconds(tok_time)}; {len(train_ids):,} train tokens, {len(val_ids):,} validation tokens "
          f"({val_bytes / len(val_ids):.3f} bytes per token)")
    x, y = get_batch(train_ids, 2, 8, generator=torch.Generator().manual_seed(0))
    print(f"  get_batch(train, 2, 8): x[0] = {x[0].tolist()}")
    print(f"                          y[0] = {y[0].tolist()}")
    torch.manual_seed(0)
    model = GPT(VOCAB, CONTEXT, **GPT_SIZES)
    start = time.perf_counter()
    losses = train_lm(model, train_ids, steps, batch_size=32, context=CONTEXT, lr=6e-3,
                      generator=torch.Generator().manual_seed(0))
    seconds = time.perf_counter() - start
    ce = evaluate_lm(model, val_ids, CONTEXT)
    rows = []
    for name, value in [("unigram, add-1", ngram_cross_entropy(train_ids, val_ids, VOCAB, 1, 1.0)),
                        ("bigram, add-1", ngram_cross_entropy(train_ids, val_ids, VOCAB, 2, 1.0)),
                        ("bigram, add-0.1", ngram_cross_entropy(train_ids, val_ids, VOCAB, 2, 0.1)),
                        (f"GPT ({count_parameters(model):,} parameters, {steps} steps)", ce)]:
        rows.append([name, f"{value:.3f}", f"{perplexity(value):.1f}",
                     f"{value * len(val_ids) / val_bytes / math.log(2):.3f}"])
    print(f"GPT {GPT_SIZES}, context {CONTEXT}, batch 32, trained {seconds:.1f} s (last-20-step train loss "
          f"{sum(losses[-20:]) / 20:.3f}); validation topics:")
    table(["model", "cross-entropy (nats/token)", "perplexity", "bits per byte"], rows)
    return tok, model, val_ids


def samples_demo(tok, model) -> None:
    prompt = "The return value of"
    idx = torch.tensor([tok.encode(prompt).ids])
    print(f"Samples from the prompt {prompt!r}, 30 new tokens each:")
    print(f"  greedy: {tok.decode(generate(model, idx, 30)[0].tolist())!r}")
    for temperature in (0.7, 1.0):
        for name, kw in (("top-k 20", dict(top_k=20)), ("top-p 0.9", dict(top_p=0.9))):
            g = torch.Generator().manual_seed(0)
            out = generate(model, idx, 30, pick=lambda z, kw=kw, g=g: sample(z, temperature, generator=g, **kw))
            print(f"  T = {temperature}, {name}: {tok.decode(out[0].tolist())!r}")


def kv_cache_demo(model, val_ids) -> None:
    prompt = val_ids[:8][None]
    new = CONTEXT - prompt.shape[1]
    with_cache = generate(model, prompt, new, use_cache=True)
    without = generate(model, prompt, new, use_cache=False)
    same = torch.equal(with_cache, without)
    t_cache = benchmark(lambda: generate(model, prompt, new, use_cache=True), warmup=1, repeat=5)
    t_plain = benchmark(lambda: generate(model, prompt, new, use_cache=False), warmup=1, repeat=5)
    print(f"KV cache: greedy generation of {new} tokens after an 8-token prompt, batch 1; the same tokens with and "
          f"without the cache: {same}")
    table(["generation", "median (5 runs)", "range", "per token"],
          [["without cache", format_seconds(t_plain.median), f"{format_seconds(t_plain.min)}-{format_seconds(t_plain.max)}",
            format_seconds(t_plain.median / new)],
           ["with KV cache", format_seconds(t_cache.median), f"{format_seconds(t_cache.min)}-{format_seconds(t_cache.max)}",
            format_seconds(t_cache.median / new)]])
    print(f"  speed-up {t_plain.median / t_cache.median:.2f}x")


# ---------------------------------------------------------------------------------------------
# Exercise 5: the LSTM
# ---------------------------------------------------------------------------------------------


def lstm_agreement() -> None:
    torch.manual_seed(0)
    ref = nn.LSTM(5, 7, num_layers=2, batch_first=True).double()
    mine = LSTM(5, 7, num_layers=2, batch_first=True).double()
    mine.load_state_dict(ref.state_dict())
    x = torch.randn(3, 6, 5, dtype=torch.float64)
    lengths = torch.tensor([6, 2, 4])
    packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    out_ref, (h_ref, c_ref) = ref(packed)
    out_ref, _ = nn.utils.rnn.pad_packed_sequence(out_ref, batch_first=True)
    out, (h, c) = mine(x, lengths=lengths)
    alone = max((mine(x[b:b + 1, :n])[1][0][:, 0] - h[:, b]).abs().max().item() for b, n in enumerate(lengths.tolist()))
    print("LSTM by hand vs nn.LSTM(5, 7, num_layers=2, batch_first=True), float64, lengths [6, 2, 4] "
          "(nn.LSTM on pack_padded_sequence):")
    print(f"  max |output diff| {max_diff(out, out_ref)}, |h_n diff| {max_diff(h, h_ref)}, |c_n diff| {max_diff(c, c_ref)};"
          f" h_n vs each sequence run alone {alone:.1e}")


def main() -> None:
    parser = runner_parser("Lab 2.3 runner: encoder-decoder, training, decoding, a GPT and the LSTM")
    parser.add_argument("--steps", type=int, default=None,
                        help="training steps of each seq2seq model (default 150, 1000 with --full)")
    args = parser.parse_args()
    seed_everything(0)
    start = time.perf_counter()
    print(f"Lab 2.3 the full transformer | {describe_machine()}")
    where = "your exercises/ files" if whose() == "yours" else "solution/, the reference solution"
    print(f"code under test: {whose()} ({where})")

    section("Exercise 1: the encoder-decoder")
    run_part(seq2seq_agreement)

    section("Exercise 2: training pieces")
    run_part(training_pieces)

    section("Exercise 3: decoding")
    run_part(beam_argmax_demo)
    run_part(sampler_demo)

    section("Exercise 5: the LSTM by hand")
    run_part(lstm_agreement)

    section("Exercises 2 and 5: transformer vs LSTM on reversal")
    compared = run_part(task_comparison, args.seeds, args.steps or (1000 if args.full else 150))
    if compared:
        run_part(save_length_plot, compared[0])

    section("Exercise 4: a GPT on Python's documentation")
    info = corpus_info()
    print(f"corpus: {info['source']} of Python {info['python']}: {info['topics']['train']} train topics "
          f"({info['characters']['train']:,} characters), {info['topics']['validation']} validation topics "
          f"({info['characters']['validation']:,})")
    lm = run_part(language_model, 900 if args.full else 300)
    if lm:
        tok, model, val_ids = lm
        run_part(samples_demo, tok, model)
        run_part(kv_cache_demo, model, val_ids)
    print(f"done in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
