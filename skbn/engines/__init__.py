"""Training engines: the arithmetic of training, behind one interface."""

from ._base import AdamState, Engine, TrainingConfig
from ._select import EngineChoice, select_engine, step_macs

__all__ = ["AdamState", "Engine", "EngineChoice", "TrainingConfig", "select_engine", "step_macs"]
