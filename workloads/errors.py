"""The workloads package's one domain error."""


class WorkloadError(ValueError):
    """A workload that cannot be built or read (bad split, size, record or file)."""
