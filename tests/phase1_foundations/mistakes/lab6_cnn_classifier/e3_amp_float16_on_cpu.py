"""train_classifier autocasts to float16 on every device; on a CPU mixed precision means bfloat16 (float16 and its scaler are the CUDA recipe)."""
FILE = "exercise3_training.py"
REPLACE = [
    ("amp_dtype = torch.float16 if device.type == \"cuda\" else torch.bfloat16", "amp_dtype = torch.float16"),
]
