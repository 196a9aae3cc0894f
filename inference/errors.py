"""The inference package's domain errors: one base type, a few precise subtypes."""


class InferenceError(ValueError):
    """A domain failure in inference (zoo, tokenizer, decoding, calibration)."""


class TokenizerMismatchError(InferenceError):
    """Two models (or a model and a cache) do not share one tokenizer."""


class ZooError(InferenceError):
    """A zoo model is missing, corrupt or inconsistent with its manifest."""


class NoRewardHead(InferenceError):
    """A device/cloud pair has no reward head yet (`fedhybrid calibrate` makes one): a caller may
    name its own way out (eval: `--policies confidence`)."""
