"""gradient_flow_report removes its hooks only when the forward and backward pass succeed: a loss that raises leaves hooks and a GradNormRecorder on the model."""
FILE = "exercise4_hooks.py"
REPLACE = [
    ("""    try:
        loss_fn(model(x), target).backward()
    finally:
        recorder.remove()
        for h in handles:
            h.remove()
        model.zero_grad(set_to_none=True)""",
     """    loss_fn(model(x), target).backward()
    recorder.remove()
    for h in handles:
        h.remove()
    model.zero_grad(set_to_none=True)"""),
]
