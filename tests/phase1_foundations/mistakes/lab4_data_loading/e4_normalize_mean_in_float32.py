"""normalize builds mean and std as float32 whatever the images' dtype: float64 images lose precision."""
FILE = "exercise4_augmentation.py"
REPLACE = [
    ("mean_t = torch.as_tensor(mean, dtype=images.dtype, device=images.device)",
     "mean_t = torch.as_tensor(mean, dtype=torch.float32, device=images.device)"),
    ("std_t = torch.as_tensor(std, dtype=images.dtype, device=images.device)",
     "std_t = torch.as_tensor(std, dtype=torch.float32, device=images.device)"),
]
