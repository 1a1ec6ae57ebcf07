"""Graded lab code, importable by name in any process (see :mod:`shared.loader`).

This package has no files of its own: ``shared.labcode.<target>__<phase>__<lab>__<file>`` modules are
built by the finder that importing this package installs, so a spawned child process that unpickles
an object defined in an exercise file can import that file under the same name as its parent.
"""
from shared.loader import install

install()
