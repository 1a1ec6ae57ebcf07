"""freeze sets requires_grad on every parameter (True when not matched): it unfreezes parameters an earlier freeze had frozen."""
FILE = "exercise1_modules_from_parts.py"
REPLACE = [
    ('''        if any(name == pre or name.startswith(pre + ".") for pre in prefixes):
            p.requires_grad_(False)
            frozen.append(name)''',
     '''        matched = any(name == pre or name.startswith(pre + ".") for pre in prefixes)
        p.requires_grad_(not matched)
        if matched:
            frozen.append(name)'''),
]
