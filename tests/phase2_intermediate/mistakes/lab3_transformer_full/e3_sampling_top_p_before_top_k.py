"""sampling_distribution applies top-p before top-k: the nucleus is measured on the untruncated distribution, not on the k kept tokens."""
FILE = "exercise3_decoding.py"
REPLACE = [
    ("""    if top_k is not None:
        z = top_k_filter(z, top_k)
    if top_p is not None:
        z = top_p_filter(z, top_p)""",
     """    if top_p is not None:
        z = top_p_filter(z, top_p)
    if top_k is not None:
        z = top_k_filter(z, top_k)"""),
]
