"""checkpointed_forward checkpoints all blocks as one, so backward recomputes the whole chain instead of one block at a time."""
FILE = "exercise4_memory.py"
REPLACE = [
    ("""    h = x
    for block in blocks:
        h = checkpoint(block, h, use_reentrant=False)
    return h""", """    def run_all(h):
        for block in blocks:
            h = block(h)
        return h

    return checkpoint(run_all, x, use_reentrant=False)"""),
]
