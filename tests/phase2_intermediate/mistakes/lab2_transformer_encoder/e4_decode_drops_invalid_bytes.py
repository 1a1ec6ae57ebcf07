"""decode drops bytes that are not valid UTF-8 (errors="ignore") instead of marking them with U+FFFD."""
FILE = "exercise4_bpe.py"
REPLACE = [
    ('return self.decode_bytes(ids).decode("utf-8", errors="replace")',
     'return self.decode_bytes(ids).decode("utf-8", errors="ignore")'),
]
