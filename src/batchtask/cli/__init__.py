"""The ``batchtask`` command line."""
