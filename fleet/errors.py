"""The fleet package's one domain error."""


class FleetError(ValueError):
    """A federation configuration or a device's round that cannot proceed as given."""
