"""mask_tokens draws the random ids without the generator: a seeded call is no longer reproducible."""
FILE = "exercise5_mlm.py"
REPLACE = [
    ("random_ids = torch.randint(vocab_size, shape, generator=generator)", "random_ids = torch.randint(vocab_size, shape)"),
]
