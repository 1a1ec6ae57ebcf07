"""BasicBlock applies the activation to the residual branch before adding the shortcut, instead of after the sum."""
FILE = "exercise2_architectures.py"
REPLACE = [
    ("        out = self.bn2(self.conv2(self.act(self.bn1(self.conv1(x)))))\n        if self.shortcut is not None:\n            out = out + self.shortcut(x)\n        return self.act(out)",
     "        out = self.act(self.bn2(self.conv2(self.act(self.bn1(self.conv1(x))))))\n        if self.shortcut is not None:\n            out = out + self.shortcut(x)\n        return out"),
]
