"""EarlyStopping never resets bad_steps on an improvement: it stops after patience bad calls in total, not in a row."""
FILE = 'exercise4_healthy_training.py'
REPLACE = [
    ('self.best, self.best_step, self.bad_steps = value, self._calls, 0',
     'self.best, self.best_step = value, self._calls'),
]
