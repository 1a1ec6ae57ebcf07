"""get_rng_state leaves NumPy out: resumed runs draw different NumPy noise."""
FILE = 'exercise4_healthy_training.py'
REPLACE = [
    ('    np.random.set_state((kind, np.asarray(keys.cpu().numpy(), dtype=np.uint32), int(pos), int(has_gauss), float(cached)))\n',
     ''),
]
