"""ShardedRecordStream deals rows instead of whole files: every reader opens and reads every file."""
FILE = "exercise1_datasets.py"
REPLACE = [
    ("for path in self.paths[reader::n_readers]:\n            rows = np.load(path)",
     "for path in self.paths:\n            rows = np.load(path)[reader::n_readers]"),
]
