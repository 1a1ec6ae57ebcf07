"""The tiled forward scores each query block against ALL keys at once (block_k ignored): a (block_q, T_k) strip, still O(T) memory per row of blocks."""
FILE = "exercise4_flash.py"
REPLACE = [
    ("""        for k0 in range(0, t_k, block_k):
            if is_causal and k0 > q0 + rows - 1:
                break
            s = _block_scores(q_blk, k[..., k0:k0 + block_k, :], scale, is_causal, q0, k0)
            m, l, acc = online_softmax_update(m, l, acc, s, v[..., k0:k0 + block_k, :])""",
     """        s = _block_scores(q_blk, k, scale, is_causal, q0, 0)
        m, l, acc = online_softmax_update(m, l, acc, s, v)"""),
]
