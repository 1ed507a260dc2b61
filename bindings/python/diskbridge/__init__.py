"""diskbridge for Python: Yandex ID, Yandex Disk, Yandex 360, Google OAuth and Google Drive
through the diskbridge library, loaded with ctypes.

    import diskbridge

    client = diskbridge.Client()
    try:
        stored = client.yandex_disk.upload_file(token=token, path="/report.pdf", file="report.pdf")
    except diskbridge.Error as error:
        if error.code == "conflict":
            ...

The guide is docs/python.md; the methods are docs/methods.md (or ``help(client.yandex_disk)``).
"""

from ._native import LIBRARY_ENV, build_paths, find_library, library_file_name
from ._version import __version__
from .client import Client, CredentialsCallback, Namespace, ProgressCallback, Reply
from .errors import Error, LibraryError

__all__ = [
    "LIBRARY_ENV",
    "Client",
    "CredentialsCallback",
    "Error",
    "LibraryError",
    "Namespace",
    "ProgressCallback",
    "Reply",
    "__version__",
    "build_paths",
    "find_library",
    "library_file_name",
]
