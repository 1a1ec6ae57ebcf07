"""Encoder applies the final norm after every layer instead of once after the stack."""
FILE = "exercise3_encoder_layer.py"
REPLACE = [
    ("            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask)\n",
     "            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask)\n"
     "            x = self.norm(x) if self.norm is not None else x\n"),
    ("        return self.norm(x) if self.norm is not None else x\n", "        return x\n"),
]
