"""The output projection starts as a copy of the token embedding instead of being the same Parameter: the weights are not tied and drift apart in training."""
FILE = "exercise4_gpt.py"
REPLACE = [
    ("self.lm_head.weight = self.wte.weight", "self.lm_head.weight = nn.Parameter(self.wte.weight.detach().clone())"),
]
