"""interleaved_to_half_permutation returns the inverse permutation ([0, D/2, 1, D/2+1, ...]): it converts half-layout weights to interleaved, not the other way."""
FILE = "exercise1_positions.py"
REPLACE = [
    ("return torch.cat((torch.arange(0, head_dim, 2), torch.arange(1, head_dim, 2)))",
     "return torch.arange(head_dim).view(2, -1).T.flatten()"),
]
