"""greedy_decode lets a finished row keep taking the argmax: after its EOS come whatever tokens the model prefers, not EOS."""
FILE = "exercise3_decoding.py"
REPLACE = [
    ("            tok = torch.where(done, torch.full_like(tok, eos_id), tok)\n", ""),
]
