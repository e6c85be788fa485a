"""digest's version, in a module of its own: the package and its modules import it
without importing each other (``digest/__init__`` imports the pipeline)."""

__version__ = "0.1.0"
