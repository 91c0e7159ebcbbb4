"""Plumbing shared by every floor of tinynn: input checks, finite checks, generators, files.

Nothing here is the book's; each module imports only :mod:`tinynn.typing` and NumPy.
``validation`` (what the public API checks and the messages it gives), ``finite``
(fast NaN and infinity checks), ``generators`` (a generator's state as plain data) and
``atomic`` (the one way tinynn writes a file: temporary file, fsync, rename) and
``notebook`` (whether this process is a Jupyter kernel, looked up without importing IPython).
"""
