"""The demonstration: what batch normalization and class imbalance do to training.

Run it with ``skbn demo`` (or ``python -m skbn demo``); see ``skbn demo --help``.
"""

from ._cli import EXPERIMENTS, main, run_demo

__all__ = ["EXPERIMENTS", "main", "run_demo"]
