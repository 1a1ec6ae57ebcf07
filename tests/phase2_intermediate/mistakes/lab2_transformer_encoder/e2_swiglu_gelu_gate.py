"""SwiGLU gates with GELU instead of SiLU: that is GeGLU, another member of Shazeer's family, not LLaMA's MLP."""
FILE = "exercise2_block_parts.py"
REPLACE = [
    ("return self.w2(F.silu(self.w1(x)) * self.w3(x))", "return self.w2(F.gelu(self.w1(x)) * self.w3(x))"),
]
