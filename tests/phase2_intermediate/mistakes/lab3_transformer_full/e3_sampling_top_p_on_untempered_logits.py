"""sampling_distribution filters the untempered logits and applies the temperature last: top-p measures the nucleus on the wrong distribution."""
FILE = "exercise3_decoding.py"
REPLACE = [
    ("""    z = apply_temperature(logits, temperature)
    if top_k is not None:""", """    z = logits
    if top_k is not None:"""),
    ("""        z = top_p_filter(z, top_p)
    return torch.softmax(z, dim=-1)""", """        z = top_p_filter(z, top_p)
    return torch.softmax(apply_temperature(z, temperature), dim=-1)"""),
]
