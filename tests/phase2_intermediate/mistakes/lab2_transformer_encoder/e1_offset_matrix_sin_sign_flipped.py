"""sinusoidal_offset_matrix uses the rotation [[cos, -sin], [sin, cos]] on (sin, cos): it is still orthogonal and composes, but it maps PE[pos] to PE[pos - k]."""
FILE = "exercise1_positions.py"
REPLACE = [
    ("    m[ev, od] = torch.sin(b)\n    m[od, ev] = -torch.sin(b)\n", "    m[ev, od] = -torch.sin(b)\n    m[od, ev] = torch.sin(b)\n"),
]
