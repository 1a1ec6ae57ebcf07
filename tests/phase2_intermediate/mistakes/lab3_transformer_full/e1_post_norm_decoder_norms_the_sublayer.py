"""Post-norm decoder as x + norm(sublayer(x)): the residual sum itself is never normalised."""
FILE = "exercise1_seq2seq.py"
REPLACE = [
    ("""        x = self.norm1(x + sa(x))
        x = self.norm2(x + ca(x))
        return self.norm3(x + ff(x))""",
     """        x = x + self.norm1(sa(x))
        x = x + self.norm2(ca(x))
        return x + self.norm3(ff(x))"""),
]
