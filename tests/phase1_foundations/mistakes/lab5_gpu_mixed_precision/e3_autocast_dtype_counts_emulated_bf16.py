"""autocast_dtype asks torch.cuda.is_bf16_supported() with its default, which counts emulated bfloat16: a pre-Ampere GPU then autocasts to a slow bfloat16."""
FILE = "exercise3_mixed_precision.py"
REPLACE = [
    ("return torch.bfloat16 if torch.cuda.is_bf16_supported(including_emulation=False) else", "return torch.bfloat16 if torch.cuda.is_bf16_supported() else"),
]
