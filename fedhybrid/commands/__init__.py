"""The CLI's commands: each module adds its sub-commands to the parser."""

from __future__ import annotations

from agent.errors import AgentError
from cache_sync.errors import CacheError
from fedhybrid.commands import bench, cloud, decode, demo, device, evaluate, fed, fleet, workload, zoo
from fleet.errors import FleetError
from inference.errors import InferenceError
from server.errors import ServerError
from serving.errors import ServingError
from strategies.errors import StrategyError
from training.errors import TrainingError
from workloads.errors import WorkloadError

# one domain error type per package; the CLI turns these into a clean message
DOMAIN_ERRORS: tuple[type[Exception], ...] = (InferenceError, CacheError, ServerError, ServingError, FleetError,
                                              StrategyError, TrainingError, WorkloadError, AgentError)

REGISTRY = [demo.register, zoo.register, decode.register, evaluate.register, workload.register, cloud.register,
            device.register, fleet.register, fed.register, bench.register]
