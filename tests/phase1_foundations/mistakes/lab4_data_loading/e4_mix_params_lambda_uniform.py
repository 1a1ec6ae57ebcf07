"""sample_mix_params draws lam uniformly from [0, 1) instead of from Beta(alpha, alpha)."""
FILE = "exercise4_augmentation.py"
REPLACE = [
    ("lam = float(gammas[0] / gammas.sum())", "lam = float(torch.rand(1, generator=generator, dtype=torch.float64))"),
]
