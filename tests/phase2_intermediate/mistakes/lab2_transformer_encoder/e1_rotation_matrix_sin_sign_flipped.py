"""rope_rotation_matrix puts -sin below the diagonal: still orthogonal, but it is R_(-pos), the transpose of the rotation apply_rope_interleaved applies."""
FILE = "exercise1_positions.py"
REPLACE = [
    ("    r[ev, od] = -torch.sin(ang)\n    r[od, ev] = torch.sin(ang)\n", "    r[ev, od] = torch.sin(ang)\n    r[od, ev] = -torch.sin(ang)\n"),
]
