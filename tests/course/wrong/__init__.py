"""Plausible wrong answers per rung: `WRONG = {"function": [("description", "def function(...): ..."), ...]}`."""
