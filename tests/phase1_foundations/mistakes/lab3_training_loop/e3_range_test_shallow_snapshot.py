"""lr_range_test snapshots model.state_dict() without a deep copy: the 'snapshot' trains along with the model."""
FILE = 'exercise3_schedules.py'
REPLACE = [
    ('model_state = copy.deepcopy(model.state_dict())',
     'model_state = model.state_dict()'),
]
