"""padding_mask keeps j <= lengths[b]: one padding key per row is attended."""
FILE = "exercise3_masks.py"
REPLACE = [
    ("keep = torch.arange(t, device=lengths.device).unsqueeze(0) < lengths.unsqueeze(1)", "keep = torch.arange(t, device=lengths.device).unsqueeze(0) <= lengths.unsqueeze(1)"),
]
