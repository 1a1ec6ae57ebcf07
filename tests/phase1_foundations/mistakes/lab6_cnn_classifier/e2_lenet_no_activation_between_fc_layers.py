"""LeNet forgets the activation between fc1 and fc2, so its two fully connected layers collapse into one linear map."""
FILE = "exercise2_architectures.py"
REPLACE = [
    ("return self.fc2(self.act(self.fc1(x.flatten(1))))", "return self.fc2(self.fc1(x.flatten(1)))"),
]
