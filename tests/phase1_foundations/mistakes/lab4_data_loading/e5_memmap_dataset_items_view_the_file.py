"""MemmapDataset returns tensors that view the read-only memmap: the first write into an item crashes the process."""
FILE = "exercise5_throughput.py"
REPLACE = [
    ("return torch.from_numpy(np.array(self._array()[index]))", "return torch.from_numpy(self._array()[index])"),
]
