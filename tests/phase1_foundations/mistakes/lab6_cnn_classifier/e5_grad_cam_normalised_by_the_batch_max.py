"""grad_cam divides every map by the largest value of the whole batch instead of each map's own maximum."""
FILE = "exercise5_transfer.py"
REPLACE = [
    ("cam = cam / cam.amax(dim=(1, 2), keepdim=True).clamp_min(1e-12)", "cam = cam / cam.amax().clamp_min(1e-12)"),
]
