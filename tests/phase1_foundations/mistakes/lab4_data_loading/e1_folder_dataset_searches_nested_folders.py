"""FolderDataset searches nested sub-folders (rglob) and takes folders named like samples: only files directly in a class folder count."""
FILE = "exercise1_datasets.py"
REPLACE = [
    ("files = sorted(p.name for p in folder.iterdir() if p.is_file() and p.name.lower().endswith(suffix))",
     "files = sorted(str(p.relative_to(folder)) for p in folder.rglob('*') if p.name.lower().endswith(suffix))"),
]
