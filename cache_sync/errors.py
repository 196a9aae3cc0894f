"""The cache_sync package's one domain error, and what decoding untrusted bytes can raise."""

import msgpack


class CacheError(ValueError):
    """A table, delta, envelope or update that cannot be used; nothing was merged."""


# What decoding untrusted msgpack into our objects can raise besides our own checks: a field of
# the wrong type (TypeError, AttributeError from .items() on a list), a missing key, an int() of
# inf (OverflowError) or of a 5000-digit string (ValueError), nesting past the recursion limit.
# Every loader catches exactly these and turns them into its package's domain error.
DECODE_ERRORS = (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError, RecursionError,
                 msgpack.UnpackException)
