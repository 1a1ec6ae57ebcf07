"""RMSNorm reads eps=None as 1e-6 (LLaMA's value): nn.RMSNorm uses torch.finfo(x.dtype).eps, which matters for inputs of small magnitude."""
FILE = "exercise2_block_parts.py"
REPLACE = [
    ("eps = torch.finfo(xf.dtype).eps if self.eps is None else self.eps", "eps = 1e-6 if self.eps is None else self.eps"),
]
