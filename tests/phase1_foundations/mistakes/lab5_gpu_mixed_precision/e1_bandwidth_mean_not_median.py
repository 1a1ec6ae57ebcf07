"""host_to_device_bandwidth summarises the copy times with the mean: one slow copy moves the result."""
FILE = "exercise1_devices.py"
REPLACE = [
    ("seconds = statistics.median(times)", "seconds = statistics.mean(times)"),
]
