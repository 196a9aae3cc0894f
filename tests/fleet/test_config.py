"""The federation's run configuration: kebab-case run_config in, one validated config out."""

import pytest

from fleet.config import FederationConfig
from fleet.errors import FleetError


def test_bad_federation_config_is_a_clear_error():
    with pytest.raises(FleetError, match="fleet-tiers"):
        FederationConfig.from_run_config({"fleet-tiers": "edge,satellite"})
    with pytest.raises(FleetError, match="aggregation"):
        FederationConfig.from_run_config({"aggregation": "krum"})
