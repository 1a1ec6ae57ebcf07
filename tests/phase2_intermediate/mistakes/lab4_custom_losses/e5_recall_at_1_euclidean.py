"""recall_at_1 takes the Euclidean nearest neighbour: with rows of different norms it is not the cosine one."""
FILE = "exercise5_evaluation.py"
REPLACE = [
    ('sim = (z @ z.T).fill_diagonal_(float("-inf"))',
     'sim = (-torch.cdist(emb.double(), emb.double())).fill_diagonal_(float("-inf"))'),
]
