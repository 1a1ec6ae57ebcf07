"""lr_range_test restores the model only when no error occurs (no try/finally): a crash leaves it half trained."""
FILE = 'exercise3_schedules.py'
REPLACE = [
    ('    finally:\n        model.load_state_dict(model_state)',
     '    except BaseException:\n        raise\n    if True:\n        model.load_state_dict(model_state)'),
]
