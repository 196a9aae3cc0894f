"""fedhybrid: the command line, benchmarks and the fleet demo over the project's packages."""

__version__ = "0.1.0"
