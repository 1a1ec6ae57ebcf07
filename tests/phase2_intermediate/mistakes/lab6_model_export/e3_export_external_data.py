"""torch.onnx.export's default external_data=True: the weights go to a separate .data file next to the .onnx."""
FILE = "exercise3_onnx.py"
REPLACE = [
    ("external_data=False, verbose=False", "verbose=False"),
]
