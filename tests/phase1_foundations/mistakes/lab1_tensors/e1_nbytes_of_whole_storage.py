"""nbytes counts the whole storage, not the bytes this tensor's own elements span."""
FILE = "exercise1_tensor_basics.py"
REPLACE = [
    ('"nbytes": t.numel() * t.element_size(),',
     '"nbytes": t.untyped_storage().nbytes(),'),
]
