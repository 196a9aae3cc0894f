"""The training package's one domain error."""


class TrainingError(ValueError):
    """A zoo build, training run or calibration that cannot proceed as configured."""
