"""runai-size: a Helm post-renderer that sizes a Run:ai installation with named size profiles."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("runai-size")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0+unknown"
