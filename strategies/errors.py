"""The strategies package's one domain error."""


class StrategyError(ValueError):
    """Aggregation inputs or settings that cannot be used (shapes, ranks, robust settings)."""
