"""Accuracy as the plain mean of the per-chunk accuracies: a short last chunk weighs as much as a full one."""
FILE = "exercise5_benchmark.py"
REPLACE = [
    ("quality[variant.name] = (float((got.argmax(1) == eval_labels).float().mean()),",
     "quality[variant.name] = (float(torch.stack([(got[i:i + 256].argmax(1) == eval_labels[i:i + 256]).float().mean() "
     "for i in range(0, len(eval_ids), 256)]).mean()),"),
]
