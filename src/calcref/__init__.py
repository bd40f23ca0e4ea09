"""calcref: the calculus behind machine learning, derived and checked by code."""

from calcref import checking, numeric, symbolic

__version__ = "0.1.0"
__all__ = ["__version__", "checking", "numeric", "symbolic"]
