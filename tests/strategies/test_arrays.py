"""The server reads a reply's adapter arrays without np.load's header parse, and gets exactly
what Flower's own `Array.numpy()` gives, malformed arrays included."""

from __future__ import annotations

import io
from unittest import mock

import numpy as np
import pytest
from flwr.app import Array
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from strategies.federated_lora import as_numpy

DTYPES = st.sampled_from([np.float32, np.float64, np.int64, np.uint8, np.bool_, ">f4", "<i2"])


@settings(max_examples=80, deadline=None)
@given(hnp.arrays(DTYPES, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5)), st.booleans())
def test_any_array_reads_back_as_flower_reads_it(x, fortran):
    source = np.asfortranarray(x) if fortran else x  # (a 0-d array becomes 1-d)
    array = Array(source)
    got = as_numpy(array)
    assert got.dtype == source.dtype and got.shape == source.shape
    np.testing.assert_array_equal(got, array.numpy())
    assert got.flags.writeable  # a copy, not a view of the message's bytes


def test_an_adapter_array_is_read_without_np_load():
    array = Array(np.random.default_rng(0).normal(size=(64, 8)).astype(np.float32))
    with mock.patch.object(Array, "numpy", side_effect=AssertionError("np.load path taken")):
        got = as_numpy(array)
    np.testing.assert_array_equal(got, np.load(io.BytesIO(array.data)))


@pytest.mark.parametrize("damage", ["declared-shape", "declared-dtype", "truncated", "header"])
def test_an_array_whose_bytes_disagree_with_its_declaration_fails_as_flower_fails(damage):
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    array = Array(x)
    if damage == "declared-shape":  # the .npy header still says (3, 4): Flower trusts the bytes
        array.shape = (4, 3)
    elif damage == "declared-dtype":
        array.dtype = "float64"
    elif damage == "truncated":
        array.data = array.data[:-4]
    else:
        array.data = array.data.replace(b"False", b"Falsx")
    try:
        expected = array.numpy()
    except ValueError as exc:
        with pytest.raises(ValueError, match=str(exc)[:20] if str(exc) else None):
            as_numpy(array)
        return
    np.testing.assert_array_equal(as_numpy(array), expected)
