"""Helpers shared by every lab: devices, timing, datasets and the grading machinery."""

__all__ = ["devices", "timing", "datasets", "grading", "labs", "stubgen"]
