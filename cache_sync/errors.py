"""The cache_sync package's one domain error."""


class CacheError(ValueError):
    """A table, delta, envelope or update that cannot be used; nothing was merged."""
