"""The federation's run configuration: kebab-case run_config in, one validated config out."""

import pytest

from fleet.config import FederationConfig
from fleet.errors import FleetError


def test_bad_federation_config_is_a_clear_error():
    with pytest.raises(FleetError, match="fleet-tiers"):
        FederationConfig.from_run_config({"fleet-tiers": "edge,satellite"})
    with pytest.raises(FleetError, match="aggregation"):
        FederationConfig.from_run_config({"aggregation": "krum"})


def test_resume_values_keep_every_state_field_defaults_included_and_no_paths():
    values = FederationConfig().resume_values()
    assert values["hop_confidence"] == 0.99 and values["hierarchy"] is False  # defaults are kept
    assert values["fleet_tiers"] == list(FederationConfig().fleet_tiers)  # as JSON stores a tuple
    assert not {"state_dir", "timeout", "num_rounds", "key_dir", "relay"} & set(values)
    assert FederationConfig(state_dir="elsewhere", num_rounds=9, relay=True, secure=True).resume_differences(values) == []


def test_resume_differences_name_each_changed_option_with_both_values():
    stored = FederationConfig(hop_confidence=0.9).resume_values()  # made when the value was 0.9
    assert FederationConfig().resume_differences(stored) == ["hop-confidence: state 0.9, now 0.99"]
    changed = FederationConfig(release_k=3, fleet_tiers=("edge",)).resume_differences(FederationConfig().resume_values())
    tiers = "['client', 'client', 'edge', 'edge', 'edge', 'iot', 'iot', 'iot']"
    assert changed == [f"fleet-tiers: state {tiers}, now ['edge']", "release-k: state 5, now 3"]


def test_an_option_added_after_the_state_compares_with_the_value_it_was_introduced_as():
    stored = FederationConfig().resume_values()
    del stored["explore_rate"]  # a state made before the option existed ran with 0.05
    assert FederationConfig().resume_differences(stored) == []
    assert FederationConfig(explore_rate=0.2).resume_differences(stored) == ["explore-rate: state 0.05, now 0.2"]


def test_an_option_the_state_names_and_this_version_lacks_is_named():
    stored = {**FederationConfig().resume_values(), "beam_width": 4}
    assert FederationConfig().resume_differences(stored) == ["beam-width: state 4, now '(no such option)'"]


def test_a_release_rule_no_fleet_can_meet_is_said_before_the_run():
    """release-k above the fleet's size releases nothing, ever (support counts distinct devices):
    valid (a run may measure only the adapters) but said, with the value that would share."""
    (notice,) = FederationConfig(fleet_tiers=("edge", "iot"), release_k=5).notices()
    assert "release-k=5 is more than the fleet's 2 devices" in notice and "release-k=2 or fewer" in notice
    assert FederationConfig(fleet_tiers=("edge", "iot"), release_k=2).notices() == []
    # with noise on the support an entry can pass k by chance: nothing to say then
    assert FederationConfig(fleet_tiers=("edge", "iot"), release_k=5, dp_epsilon=1.0).notices() == []


@pytest.mark.parametrize("values,message", [
    ({"fraction-train": 0.0}, "fraction-train=0.0 must be in (0, 1] (the share of the fleet asked each round)"),
    ({"min-replies": 0}, "min-replies=0 must be >= 1 (the fewest accepted replies that update the adapters)"),
])
def test_a_participation_value_out_of_range_is_named_alone(values, message):
    """Both used to share one message, which named min-replies for a bad fraction-train."""
    with pytest.raises(FleetError) as err:
        FederationConfig.from_run_config(values)
    assert str(err.value) == message
