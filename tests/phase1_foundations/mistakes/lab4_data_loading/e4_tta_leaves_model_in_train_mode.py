"""tta_predict switches the model back with model.train() whatever mode it had: an eval-mode model comes back training."""
FILE = "exercise4_augmentation.py"
REPLACE = [
    ("model.train(was_training)", "model.train()"),
]
