"""INT8 accuracy measured on the training split, FP32 on the test split: the two accuracies are not comparable."""
FILE = "exercise4_compress.py"
REPLACE = [
    ("    train_ids, _ = train\n", "    train_ids, train_labels = train\n"),
    ("int8_accuracy=float((got.argmax(1) == test_labels).float().mean()),",
     "int8_accuracy=float((predict_logits(int8, train_ids).argmax(1) == train_labels).float().mean()),"),
]
