"""ResidualMLP builds one block and lists it depth times: all the blocks share the same weights."""
FILE = "exercise3_functions_and_containers.py"
REPLACE = [
    ("""        self.blocks = nn.ModuleList(
            nn.Sequential(nn.Linear(dim, hidden), SiLU(), nn.Linear(hidden, dim)) for _ in range(depth)
        )""",
     """        self.blocks = nn.ModuleList([nn.Sequential(nn.Linear(dim, hidden), SiLU(), nn.Linear(hidden, dim))] * depth)"""),
]
