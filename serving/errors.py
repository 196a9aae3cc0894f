"""The serving package's one domain error."""


class ServingError(ValueError):
    """A server or upstream that cannot be started, reached or used as configured."""
