"""Pure functions from dispatch text to typed values (no I/O).

The entry point is :func:`extractors.extract.extract`.
"""
