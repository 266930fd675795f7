"""Collection rules for the whole repository (the doctests of skbn/ included)."""

import importlib.util

# The torch engine imports torch at module level; without torch, don't collect
# its doctests (the tests that need torch skip themselves).
collect_ignore = [] if importlib.util.find_spec("torch") else ["skbn/engines/_torch.py"]
