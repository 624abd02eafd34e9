"""Neodyme: a FastAPI application grown one chapter at a time."""

from importlib.metadata import version

__version__ = version("neodyme")
