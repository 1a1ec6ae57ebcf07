"""RMSprop never counts state['step']: the update is right but a checkpoint says 0 steps were taken."""
FILE = 'exercise2_optimizers.py'
REPLACE = [
    ('                state["step"] += 1\n                if weight_decay != 0:\n                    grad = grad.add(p, alpha=weight_decay)\n                square_avg',
     '                if weight_decay != 0:\n                    grad = grad.add(p, alpha=weight_decay)\n                square_avg'),
]
