"""fedhybrid: the command line, benchmarks, engines and the fleet demo over the project's
packages. The top of the import graph: nothing of ours imports it.
"""

__version__ = "0.1.0"
