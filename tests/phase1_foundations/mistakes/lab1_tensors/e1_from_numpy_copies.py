"""from_numpy_shared uses torch.tensor(a), which copies: writes to the array no longer show in the tensor."""
FILE = "exercise1_tensor_basics.py"
REPLACE = [
    ('return torch.from_numpy(a)',
     'return torch.tensor(a)'),
]
