"""EarlyStopping asks 'is it worse?': a NaN is never worse, so it becomes the best value."""
FILE = 'exercise4_healthy_training.py'
REPLACE = [
    ('improved = value < self.best - self.min_delta if self.mode == "min" else value > self.best + self.min_delta',
     'improved = not (value >= self.best - self.min_delta) if self.mode == "min" else not (value <= self.best + self.min_delta)'),
]
