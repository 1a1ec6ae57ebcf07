"""SwiGLU applies silu to w3(x), the up projection, instead of the gate w1(x): the trained weights of a LLaMA checkpoint then compute something else."""
FILE = "exercise2_block_parts.py"
REPLACE = [
    ("return self.w2(F.silu(self.w1(x)) * self.w3(x))", "return self.w2(self.w1(x) * F.silu(self.w3(x)))"),
]
