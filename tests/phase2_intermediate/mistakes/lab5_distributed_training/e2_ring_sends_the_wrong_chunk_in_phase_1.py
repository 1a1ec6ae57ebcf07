"""Phase 1 sends chunk (rank - step + 1) instead of (rank - step): the partial sums go round one chunk out of step."""
FILE = "exercise2_ring.py"
REPLACE = [
    ("(a, b), (c, d) = bounds[(rank - step) % world], bounds[(rank - step - 1) % world]",
     "(a, b), (c, d) = bounds[(rank - step + 1) % world], bounds[(rank - step - 1) % world]"),
]
