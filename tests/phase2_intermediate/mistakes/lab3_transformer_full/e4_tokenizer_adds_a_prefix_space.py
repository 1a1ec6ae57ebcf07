"""train_tokenizer uses ByteLevel(add_prefix_space=True): every text is encoded as if it started with a space, so the ids differ from GPT-2's scheme."""
FILE = "exercise4_gpt.py"
REPLACE = [
    ("tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)", "tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)"),
]
