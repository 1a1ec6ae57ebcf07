"""save_checkpoint cleans up only on Exception: a Ctrl-C (KeyboardInterrupt) mid-write leaves the temporary file behind."""
FILE = 'exercise4_healthy_training.py'
REPLACE = [
    ('    except BaseException:\n        with contextlib.suppress(FileNotFoundError):',
     '    except Exception:\n        with contextlib.suppress(FileNotFoundError):'),
]
