"""FolderDataset matches the extension case-sensitively, so A.NPY is skipped although DatasetFolder counts it."""
FILE = "exercise1_datasets.py"
REPLACE = [
    ("p.is_file() and p.name.lower().endswith(suffix)", "p.is_file() and p.name.endswith(extension)"),
]
