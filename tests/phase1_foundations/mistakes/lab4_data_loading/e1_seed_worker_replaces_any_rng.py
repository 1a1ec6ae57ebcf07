"""seed_worker replaces the dataset's rng whatever it holds: a random.Random (or RandomState) becomes a NumPy Generator."""
FILE = "exercise1_datasets.py"
REPLACE = [
    ('if info is not None and isinstance(getattr(info.dataset, "rng", None), np.random.Generator):',
     'if info is not None and hasattr(info.dataset, "rng"):'),
]
