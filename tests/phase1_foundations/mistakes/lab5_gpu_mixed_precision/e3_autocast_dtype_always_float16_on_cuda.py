"""autocast_dtype picks float16 on every GPU, also where bfloat16 runs natively and needs no loss scaling."""
FILE = "exercise3_mixed_precision.py"
REPLACE = [
    ("return torch.bfloat16 if torch.cuda.is_bf16_supported(including_emulation=False) else torch.float16", "return torch.float16"),
]
