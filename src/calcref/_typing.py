"""Type aliases shared by calcref's modules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, TypeAlias

import numpy as np
from numpy.typing import NDArray

FloatArray: TypeAlias = NDArray[np.float64]
"""An array of float64 values."""

ScalarFn: TypeAlias = Callable[..., Any]
"""A function of a point returning a real number (or, when vectorized, an array of them)."""

VectorFn: TypeAlias = Callable[..., Any]
"""A function of a point returning a 1-D array of real numbers."""

Method: TypeAlias = Literal["central", "forward", "backward", "complex"]
"""How a numerical derivative is formed."""
