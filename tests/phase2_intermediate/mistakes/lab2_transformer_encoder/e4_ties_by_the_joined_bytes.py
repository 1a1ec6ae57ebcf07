"""train_merges breaks ties by the joined bytes vocab[a] + vocab[b] instead of the pair (vocab[a], vocab[b]): (b'a', b'z') beats (b'ab', b'a') because b'az' > b'aba'."""
FILE = "exercise4_bpe.py"
REPLACE = [
    ("""key=lambda p: (vocab[p[0]], vocab[p[1]]))""", """key=lambda p: vocab[p[0]] + vocab[p[1]])"""),
]
