"""calcref: the calculus behind machine learning, derived and checked by code.

The submodules are imported on first use (``calcref.symbolic`` or ``from calcref import
symbolic``): `symbolic` and `checking` need SymPy, whose import takes over a second, and a
student who only differentiates numerically should not wait for it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from calcref import checking, numeric, symbolic

__version__ = "0.1.0"
__all__ = ["__version__", "checking", "numeric", "symbolic"]

_SUBMODULES = frozenset({"checking", "figures", "numeric", "plotting", "stencils", "symbolic"})


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"calcref.{name}")
    raise AttributeError(f"module 'calcref' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_SUBMODULES})
