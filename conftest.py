"""Collection rules for the whole repository (the doctests of skbn/ included)."""

import importlib.util

# Modules that import an optional dependency at module level: without it,
# don't collect their doctests (the tests that need it skip themselves).
OPTIONAL = {"torch": "skbn/engines/_torch.py", "skl2onnx": "skbn/onnx.py"}
collect_ignore = [path for lib, path in OPTIONAL.items() if not importlib.util.find_spec(lib)]
