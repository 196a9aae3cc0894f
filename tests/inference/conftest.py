import time

import pytest
import torch

from inference.cloud import LocalCloud


class SlowModule(torch.nn.Module):
    """Wraps a model so every forward first sleeps (a cloud slower than its deadline)."""

    def __init__(self, model, delay_s: float):
        super().__init__()
        self.inner, self.delay_s, self.config = model, delay_s, model.config

    def forward(self, *args, **kwargs):
        time.sleep(self.delay_s)
        return self.inner(*args, **kwargs)


class BrokenModule(torch.nn.Module):
    """A cloud model whose every forward fails (a crashed serving process)."""

    def __init__(self, model):
        super().__init__()
        self.inner, self.config = model, model.config

    def forward(self, *args, **kwargs):
        raise RuntimeError("CUDA error: device-side assert triggered (simulated)")


@pytest.fixture
def local_cloud(pair):
    cloud = LocalCloud(pair[1])
    yield cloud
    cloud.close()


@pytest.fixture
def slow_cloud(pair):
    """A local cloud whose every forward takes 0.5 s."""
    cloud = LocalCloud(SlowModule(pair[1], delay_s=0.5))
    yield cloud
    cloud.close()


@pytest.fixture
def broken_cloud(pair):
    """A local cloud whose every forward raises."""
    cloud = LocalCloud(BrokenModule(pair[1]))
    yield cloud
    cloud.close()
