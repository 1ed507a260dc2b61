"""The package version; the native library it loads must have the same major.minor."""

__version__ = "0.1.0"
