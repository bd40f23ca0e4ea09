"""calcref: the calculus behind machine learning, derived and checked by code."""

__version__ = "0.1.0"
__all__ = ["__version__"]
