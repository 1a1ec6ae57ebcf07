"""RMSprop validates only eps and alpha: a negative learning rate or weight decay is accepted silently."""
FILE = 'exercise2_optimizers.py'
REPLACE = [
    ('for name, value in (("learning rate", lr), ("epsilon", eps), ("alpha", alpha),\n                            ("momentum", momentum), ("weight_decay", weight_decay)):',
     'for name, value in (("epsilon", eps), ("alpha", alpha)):'),
]
