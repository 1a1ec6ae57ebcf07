"""After a merge the new pairs of a changed word are added but its old pairs are never subtracted: stale counts."""
FILE = "exercise4_bpe.py"
REPLACE = [
    ("""            for pair in zip(old, old[1:]):
                counts[pair] -= freq
                if counts[pair] == 0:
                    del counts[pair]
""", ""),
]
