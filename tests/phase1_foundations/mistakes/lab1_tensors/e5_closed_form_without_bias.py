"""closed_form_linear_regression solves without the constant column, so it fits a line through the origin."""
FILE = "exercise5_from_scratch.py"
REPLACE = [
    ('    theta = torch.linalg.lstsq(A, y.unsqueeze(1)).solution.squeeze(1)  # (D + 1,)\n    return theta[:-1], theta[-1]\n',
     '    theta = torch.linalg.lstsq(X, y.unsqueeze(1)).solution.squeeze(1)  # (D,)\n    return theta, torch.zeros((), dtype=X.dtype)\n'),
]
