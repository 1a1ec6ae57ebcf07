"""encode merges the first known pair from the left instead of the pair of lowest rank (the earliest learned)."""
FILE = "exercise4_bpe.py"
REPLACE = [
    ('pair = min(zip(ids, ids[1:]), key=lambda p: self.ranks.get(p, float("inf")))',
     "pair = next((p for p in zip(ids, ids[1:]) if p in self.ranks), (None, None))"),
]
