"""profile_cuda_memory stops the history recording only when fn succeeds: after an error every later allocation is recorded."""
FILE = "exercise4_memory.py"
REPLACE = [
    ("    finally:\n        if snapshot_path is not None:\n            cuda.memory._record_memory_history(enabled=None)\n",
     "    except Exception:\n        raise\n    if snapshot_path is not None:\n        cuda.memory._record_memory_history(enabled=None)\n"),
]
