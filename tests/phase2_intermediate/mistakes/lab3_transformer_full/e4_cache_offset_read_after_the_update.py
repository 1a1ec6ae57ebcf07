"""Attention with a cache reads the cached length AFTER the update: the offset t0 then includes the new tokens, so within a chunk every token sees the ones after it."""
FILE = "exercise4_gpt.py"
REPLACE = [
    ("""            t0 = cache.layer_length(layer)
            k, v = cache.update(layer, k, v)
            allowed = torch.arange(t0 + t, device=x.device)[None, :] <= (t0 + torch.arange(t, device=x.device))[:, None]""",
     """            k, v = cache.update(layer, k, v)
            t0 = cache.layer_length(layer)
            allowed = torch.arange(t0, device=x.device)[None, :] <= (t0 + torch.arange(t, device=x.device))[:, None]"""),
]
