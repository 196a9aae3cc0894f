"""The cache_sync package's one domain error."""


class CacheError(Exception):
    """A table, delta, envelope or update that cannot be used; nothing was merged."""
