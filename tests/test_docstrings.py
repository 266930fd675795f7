"""Every public name has a complete numpydoc docstring with an Examples section."""

import inspect

import pytest

import skbn
import skbn.demo

validate = pytest.importorskip("numpydoc.validate", reason="needs the 'docs' extra").validate

# Parameters documented, returns documented, an Examples section, a summary.
CHECKS = {"PR01", "PR02", "RT01", "EX01", "GL08", "SS01"}


def public_names():
    names = [f"skbn.{n}" for n in skbn.__all__ if n != "__version__"]
    names += [f"skbn.demo.{n}" for n in ("run_demo", "main")]
    for name in list(names):
        obj = eval(name, {"skbn": skbn})
        if inspect.isclass(obj):
            names += [
                f"{name}.{m}"
                for m, member in vars(obj).items()
                if not m.startswith("_") and callable(member) and not m.startswith("set_")
            ]
    return names


@pytest.mark.parametrize("name", public_names())
def test_docstring_is_complete(name):
    errors = [(code, msg) for code, msg in validate(name)["errors"] if code in CHECKS]
    assert not errors, errors
