"""freeze loops over the prefixes first: the names come back in the order of the prefixes, not named_parameters() order."""
FILE = "exercise1_modules_from_parts.py"
REPLACE = [
    ('''    for name, p in model.named_parameters():
        if any(name == pre or name.startswith(pre + ".") for pre in prefixes):
            p.requires_grad_(False)
            frozen.append(name)''',
     '''    for pre in prefixes:
        for name, p in model.named_parameters():
            if (name == pre or name.startswith(pre + ".")) and name not in frozen:
                p.requires_grad_(False)
                frozen.append(name)'''),
]
