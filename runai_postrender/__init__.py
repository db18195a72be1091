"""runai-size: a Helm post-renderer that sizes a Run:ai installation with named size profiles."""

# The one place the version is written; pyproject.toml reads it, and a test checks plugin.yaml.
# (A literal, not importlib.metadata: that import alone costs a post-renderer 20 ms on every run.)
__version__ = "0.1.0"
