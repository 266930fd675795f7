"""Training engines: the arithmetic of training, behind one interface."""

from functools import partial

from ._base import AdamState, Engine, TrainingConfig

__all__ = ["AdamState", "Engine", "TrainingConfig", "get_engine"]

_INSTALL_HINT = (
    "backend='torch' needs PyTorch, which is not installed. Install it with "
    "`pip install skbn[torch]` (or `pip install torch`), or use backend='numpy'."
)


def get_engine(backend, device="cpu"):
    """A callable that builds the engine for ``backend`` ('auto', 'numpy', 'torch').

    'auto' means torch when it is installed, else NumPy. ``device`` applies to
    the torch engine only; the NumPy engine runs on the CPU.
    """
    if backend in ("auto", "torch"):
        try:
            from ._torch import TorchEngine, resolve_device
        except ImportError as exc:
            if backend == "torch":
                raise ImportError(_INSTALL_HINT) from exc
        else:
            resolve_device(device)  # fail before any work is done
            return partial(TorchEngine, device=device)
    if str(device) != "cpu":
        raise ValueError(
            f"device={device!r} needs the torch backend, but backend={backend!r} "
            "resolves to the NumPy engine, which runs on the CPU only."
        )
    from ._numpy import NumpyEngine

    return NumpyEngine
