"""MemoryEfficientSiLU's backward uses sigmoid(x) * (1 + x * sigmoid(x)): the derivative of x * sigmoid(x) has (1 - sigmoid(x)) there."""
FILE = "exercise3_functions_and_containers.py"
REPLACE = [
    ("return grad_output * s * (1.0 + x * (1.0 - s))", "return grad_output * s * (1.0 + x * s)"),
]
