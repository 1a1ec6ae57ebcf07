"""LearnedPositionalEmbedding refuses T == max_len (an off-by-one): a sequence that uses every row of the table raises."""
FILE = "exercise1_positions.py"
REPLACE = [
    ("if t > self.max_len:", "if t >= self.max_len:"),
]
