"""`fleet up`'s settings (FleetSpec): a value out of range is refused with the flag and the value given."""

import pytest

from fedhybrid.cli import main
from fedhybrid.fleet_ops import FleetSpec
from server.errors import ServerError


@pytest.mark.parametrize("over, shown, fix", [({"rounds": 0}, "--rounds 0:", "give --rounds 1 or more"),
                                              ({"rounds": -3}, "--rounds -3:", "give --rounds 1 or more"),
                                              ({"round_interval": -1.0}, "--round-interval -1:", "give 0"),
                                              ({"round_interval": float("nan")}, "--round-interval nan:", "give 0"),
                                              ({"train_budget": -0.5}, "--train-budget -0.5:", "give 0 or more")])
def test_fleet_spec_names_the_flag_and_the_value_out_of_range(tmp_path, over, shown, fix):
    with pytest.raises(ServerError) as caught:
        FleetSpec(tmp_path, **over)
    assert str(caught.value).startswith(shown) and fix in str(caught.value)


@pytest.mark.parametrize("argv, shown", [(["--rounds", "0"], "--rounds 0: the server runs at least 1 round"),
                                         (["--round-interval", "-1"], "--round-interval -1: seconds between round"),
                                         (["--privacy-floor", "iot=nope"], "--privacy-floor iot=nope: the mode must"),
                                         (["--tiers", "edge", "--privacy-floor", "iot=local-only"],
                                          "--privacy-floor iot=local-only: the fleet has no iot agent")])
def test_fleet_up_with_a_bad_rounds_flag_exits_2_naming_it(tmp_path, capsys, monkeypatch, argv, shown):
    from fedhybrid import fleet_ops

    calls = []
    monkeypatch.setattr(fleet_ops, "fleet_up", lambda spec, say: calls.append(spec) or {"agents": []})
    assert main(["fleet", "up", "--workdir", str(tmp_path / "fleet"), *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"fedhybrid fleet up: error: {shown}"), err
    assert calls == [] and not (tmp_path / "fleet").exists()
