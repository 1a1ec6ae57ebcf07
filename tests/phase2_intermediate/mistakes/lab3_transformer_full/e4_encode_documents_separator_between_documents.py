"""encode_documents puts the separator only BETWEEN documents: the last document has no end-of-text token after it."""
FILE = "exercise4_gpt.py"
REPLACE = [
    ("""    for enc in tokenizer.encode_batch(texts):
        ids += enc.ids + [sep]""",
     """    for n, enc in enumerate(tokenizer.encode_batch(texts)):
        ids += ([sep] if n else []) + enc.ids"""),
]
