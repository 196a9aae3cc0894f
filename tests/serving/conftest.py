"""Fixtures of the OpenAI-layer tests: the micro-zoo's cloud behind a `CloudEngine`, and the
real `openai` client against whichever `server` fixture the test module defines."""

import openai
import pytest

from serving.cloud_engine import CloudEngine
from serving.prefix_engine import PrefixEngine


@pytest.fixture(scope="module")
def cloud_engine(pair):
    _, cloud, tok = pair
    engine = CloudEngine(PrefixEngine(cloud), tok, "cloud")
    yield engine
    engine.close()


@pytest.fixture
def client(server):
    return openai.OpenAI(base_url=f"{server}/v1", api_key="unused", max_retries=0)
