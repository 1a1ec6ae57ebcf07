"""save_checkpoint renames without fsync: after a power cut the renamed file can be empty."""
FILE = 'exercise4_healthy_training.py'
REPLACE = [
    ('            f.flush()\n            os.fsync(f.fileno())\n',
     '            f.flush()\n'),
]
