"""kaiming_normal_ always uses fan_in: mode='fan_out' gives the wrong std for a non-square weight."""
FILE = "exercise5_initialization.py"
REPLACE = [
    ("""    std = calculate_gain(nonlinearity, a) / math.sqrt(fan_in if mode == "fan_in" else fan_out)
    with torch.no_grad():
        return tensor.normal_(0.0, std, generator=generator)""",
     """    std = calculate_gain(nonlinearity, a) / math.sqrt(fan_in)
    with torch.no_grad():
        return tensor.normal_(0.0, std, generator=generator)"""),
]
