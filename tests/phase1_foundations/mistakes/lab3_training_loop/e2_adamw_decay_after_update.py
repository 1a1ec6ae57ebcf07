"""AdamW shrinks p after the Adam update instead of before it."""
FILE = 'exercise2_optimizers.py'
REPLACE = [
    ('                    if self.decoupled_weight_decay:\n                        p.mul_(1 - lr * weight_decay)\n',
     '                    if self.decoupled_weight_decay:\n                        pass\n'),
    ('                p.addcdiv_(exp_avg, denom, value=-lr / bias_correction1)\n',
     '                p.addcdiv_(exp_avg, denom, value=-lr / bias_correction1)\n                if weight_decay != 0 and self.decoupled_weight_decay:\n                    p.mul_(1 - lr * weight_decay)\n'),
]
