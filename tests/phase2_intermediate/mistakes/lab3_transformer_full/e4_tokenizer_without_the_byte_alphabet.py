"""train_tokenizer leaves out the 256-symbol ByteLevel initial alphabet: bytes the training text never had (emoji, CJK) cannot be encoded and are lost."""
FILE = "exercise4_gpt.py"
REPLACE = [
    ("""min_frequency=0,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)""",
     """min_frequency=0,
                                  show_progress=False)"""),
]
