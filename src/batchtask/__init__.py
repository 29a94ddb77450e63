"""batchtask: the SuperOffice BatchTask Web API and a batch task runtime behind it."""

__version__ = "0.1.0"
