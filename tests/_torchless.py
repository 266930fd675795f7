"""Code for subprocesses that must run as on a machine without torch."""

# Makes "import torch" fail in a subprocess, as on a machine without torch.
BLOCK_TORCH = """
import importlib.abc, sys
class _BlockTorch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "torch":
            raise ImportError("torch is blocked for this test")
sys.meta_path.insert(0, _BlockTorch())
try:
    import torch
    raise SystemExit("torch was importable")
except ImportError:
    pass
"""
