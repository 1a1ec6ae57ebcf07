"""Seq2SeqLSTM.encode runs the encoder over the padded source: the final state is read after the padding, so it depends on how much padding the batch has."""
FILE = "exercise5_lstm.py"
REPLACE = [
    ('        packed = pack_padded_sequence(self.embed(src), lengths.cpu(), batch_first=True, enforce_sorted=False)\n        out, (h_n, c_n) = self.encoder(packed)\n        enc_out, _ = pad_packed_sequence(out, batch_first=True, total_length=src.shape[1])\n',
     '        enc_out, (h_n, c_n) = self.encoder(self.embed(src))\n'),
]
