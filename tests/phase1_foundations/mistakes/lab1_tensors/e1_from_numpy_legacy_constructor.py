"""from_numpy_shared uses torch.Tensor(a), which converts to float32: a float64 or int32 array comes back as a float32 copy."""
FILE = "exercise1_tensor_basics.py"
REPLACE = [
    ('return torch.from_numpy(a)',
     'return torch.Tensor(a)'),
]
