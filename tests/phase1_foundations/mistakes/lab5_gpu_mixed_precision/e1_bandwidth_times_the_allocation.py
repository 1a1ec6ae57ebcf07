"""host_to_device_bandwidth allocates the destination inside the timed interval, so it measures allocation plus copy."""
FILE = "exercise1_devices.py"
REPLACE = [
    ("""        start = time.perf_counter()
        dst.copy_(src, non_blocking=pinned)""",
     """        start = time.perf_counter()
        dst = torch.empty_like(src, device=device)
        dst.copy_(src, non_blocking=pinned)"""),
]
