"""__getstate__ drops the memmap from self.__dict__ itself: pickling (a worker starting) closes the file of a dataset that may still be reading."""
FILE = "exercise5_throughput.py"
REPLACE = [
    ('''        state = self.__dict__.copy()
        state["_data"] = None
        return state''', '''        self._data = None
        return self.__dict__'''),
]
