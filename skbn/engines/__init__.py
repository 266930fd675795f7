"""Training engines: the arithmetic of training, behind one interface."""

from ._base import AdamState, Engine, TrainingConfig

__all__ = ["AdamState", "Engine", "TrainingConfig", "get_engine"]


def get_engine(backend):
    """The engine class for ``backend`` ('auto', 'numpy' or 'torch')."""
    if backend in ("auto", "numpy"):
        from ._numpy import NumpyEngine

        return NumpyEngine
    raise NotImplementedError(
        "backend='torch' is not available yet; use backend='numpy' or 'auto'."
    )
