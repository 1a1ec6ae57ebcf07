"""The block's probabilities are taken relative to the block's own max, not the new running max: exp(s - rowmax(s)) is mixed with sums shifted by m'."""
FILE = "exercise4_flash.py"
REPLACE = [
    ("p = torch.exp(s - shift.unsqueeze(-1))", "p = torch.exp(s - s.amax(dim=-1, keepdim=True))"),
]
