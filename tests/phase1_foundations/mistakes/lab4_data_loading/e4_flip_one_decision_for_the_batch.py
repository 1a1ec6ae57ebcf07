"""random_horizontal_flip draws one decision for the whole batch: all images flip together or none do."""
FILE = "exercise4_augmentation.py"
REPLACE = [
    ("flip = torch.rand(images.shape[0], generator=generator) < p",
     "flip = (torch.rand(1, generator=generator) < p).expand(images.shape[0])"),
]
