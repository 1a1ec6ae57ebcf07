"""mask_tokens never looks at special_mask: padding and [CLS] positions are picked, masked and given labels."""
FILE = "exercise5_mlm.py"
REPLACE = [
    ("""    if special_mask is not None:
        picked &= ~special_mask
""", ""),
]
