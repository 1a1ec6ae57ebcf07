"""mask_tokens draws random ids with randint(vocab_size - 1): the last id is never drawn and the third draw differs from the documented one."""
FILE = "exercise5_mlm.py"
REPLACE = [
    ("random_ids = torch.randint(vocab_size, shape, generator=generator)", "random_ids = torch.randint(vocab_size - 1, shape, generator=generator)"),
]
