"""The agent package's one domain error."""


class AgentError(ValueError):
    """The device agent cannot start or continue as configured (state, keys, messages)."""
