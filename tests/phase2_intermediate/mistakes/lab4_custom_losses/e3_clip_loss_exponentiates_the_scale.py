"""clip_loss exponentiates logit_scale: the argument is already the multiplier (CLIP's exp of its parameter), not its log."""
FILE = "exercise3_infonce.py"
REPLACE = [
    ("    logits = logit_scale * img @ txt.T\n", "    logits = torch.as_tensor(logit_scale, dtype=img.dtype).exp() * img @ txt.T\n"),
]
