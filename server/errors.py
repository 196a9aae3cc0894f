"""The server package's one domain error."""


class ServerError(ValueError):
    """A federation cannot continue as configured (bad state, bad config); nothing was lost."""
