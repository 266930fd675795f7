"""The README's usage examples run as written, one after the other."""

import re
import warnings
from pathlib import Path

from sklearn.exceptions import ConvergenceWarning

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_usage_examples_run(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the model is saved to the working directory
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert len(blocks) == 3 and all(len(b.strip().splitlines()) <= 12 for b in blocks)
    namespace = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for block in blocks:
            exec(compile(block, str(README), "exec"), namespace)
    out = capsys.readouterr().out
    assert "test accuracy" in out and "best remedy:" in out
    # A user copying them sees no warning (they printed 84 ConvergenceWarnings once).
    assert not [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    # The search is reproducible: its best remedy is the same on a second run.
    first = namespace["search"].best_params_
    exec(compile(blocks[2], str(README), "exec"), namespace)
    assert repr(namespace["search"].best_params_) == repr(first)
