"""train_classifier with amp converts the model's parameters to the low-precision dtype instead of autocasting: the weights and the optimizer lose float32."""
FILE = "exercise3_training.py"
REPLACE = [
    ("    amp_dtype = torch.float16 if device.type == \"cuda\" else torch.bfloat16\n",
     "    amp_dtype = torch.float16 if device.type == \"cuda\" else torch.bfloat16\n    if amp:\n        model.to(amp_dtype)\n"),
]
