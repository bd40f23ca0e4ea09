"""calcref: the calculus behind machine learning, derived and checked by code."""

from calcref import numeric, symbolic

__version__ = "0.1.0"
__all__ = ["__version__", "numeric", "symbolic"]
