"""mask_tokens draws u before the picked positions: not the documented order, so a seeded call gives other positions."""
FILE = "exercise5_mlm.py"
REPLACE = [
    ("""    picked = torch.rand(shape, generator=generator) < mlm_probability
    if special_mask is not None:
        picked &= ~special_mask
    u = torch.rand(shape, generator=generator)
""", """    u = torch.rand(shape, generator=generator)
    picked = torch.rand(shape, generator=generator) < mlm_probability
    if special_mask is not None:
        picked &= ~special_mask
"""),
]
