"""load_checkpoint restores the random generators even when restore_rng=False."""
FILE = 'exercise4_healthy_training.py'
REPLACE = [
    ('    if restore_rng:\n        set_rng_state(ckpt["rng"])',
     '    set_rng_state(ckpt["rng"])'),
]
