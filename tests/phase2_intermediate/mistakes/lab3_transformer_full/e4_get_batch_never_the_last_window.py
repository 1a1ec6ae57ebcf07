"""get_batch draws starts from randint(len - C - 1): the last valid window (whose target is the last token) never occurs."""
FILE = "exercise4_gpt.py"
REPLACE = [
    ("ix = torch.randint(len(data) - context, (batch_size,), generator=generator)",
     "ix = torch.randint(len(data) - context - 1, (batch_size,), generator=generator)"),
]
