"""Transformer.forward hands the decoder the source embeddings instead of the encoder's output as memory."""
FILE = "exercise1_seq2seq.py"
REPLACE = [
    ("return self.decoder(tgt, memory, tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask)",
     "return self.decoder(tgt, src, tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask)"),
]
