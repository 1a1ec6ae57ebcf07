"""FakeQuantize rounds with torch.round instead of RoundSTE: the gradient is zero everywhere instead of passing straight through."""
FILE = "exercise3_functions_and_containers.py"
REPLACE = [
    ("return RoundSTE.apply(x / self.step) * self.step", "return torch.round(x / self.step) * self.step"),
]
