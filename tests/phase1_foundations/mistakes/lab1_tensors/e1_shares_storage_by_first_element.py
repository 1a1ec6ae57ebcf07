"""shares_storage compares the addresses of the first elements, so x and x[1] look like separate memory."""
FILE = "exercise1_tensor_basics.py"
REPLACE = [
    ('return a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()',
     'return a.data_ptr() == b.data_ptr()'),
]
