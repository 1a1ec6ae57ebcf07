"""step() unscales and checks only the optimizer's first parameter group, so an overflow in another group is stepped with."""
FILE = "exercise3_mixed_precision.py"
REPLACE = [
    ("""        for group in optimizer.param_groups:
            for p in group["params"]:
                if p.grad is None:""", """        for group in optimizer.param_groups[:1]:
            for p in group["params"]:
                if p.grad is None:"""),
]
