"""What the `openai` client sends and reads, answered as OpenAI answers it: null for an
optional field, `models.retrieve`, the `x-request-id` header, refusals of fields these
servers do not implement, and validation errors that name the field and what to send."""

import httpx
import openai
import pytest

from serving.cloud_engine import CloudEngine
from serving.cloud_server import create_cloud_app
from serving.http_app import HttpConfig
from serving.prefix_engine import PrefixEngine
from workloads import wordmath

PROMPT = wordmath.generate("heldout", 1, seed=5)[0].prompt
CHAT = "/v1/chat/completions"
LEGACY = "/v1/completions"
MESSAGES = [{"role": "user", "content": PROMPT[3:-3]}]


@pytest.fixture(scope="module")
def cloud_engine(pair):
    _, cloud, tok = pair
    engine = CloudEngine(PrefixEngine(cloud), tok, "cloud")
    yield engine
    engine.close()


@pytest.fixture
def server(cloud_engine, serve_app):
    with serve_app(create_cloud_app(cloud_engine, HttpConfig(max_body_bytes=4096))) as url:
        yield url


@pytest.fixture
def client(server):
    return openai.OpenAI(base_url=f"{server}/v1", api_key="unused", max_retries=0)


# -- GET /v1/models/{id} -------------------------------------------------------------------------
def test_models_retrieve_answers_the_list_entry_and_404s_other_names(server, client):
    (listed,) = client.models.list().data
    assert client.models.retrieve("cloud").model_dump() == listed.model_dump()
    for name in ("gpt-9", "org/model"):  # a name with a slash, as hub ids have, reaches the route too
        with pytest.raises(openai.NotFoundError) as caught:
            client.models.retrieve(name)
        err = caught.value.body
        assert err["code"] == "model_not_found" and name in err["message"] and "'cloud'" in err["message"], err
    scrape = httpx.get(f"{server}/metrics").text  # asked-for names share the route's label
    assert 'endpoint="/v1/models/{name:path}",status="404"} 2.0' in scrape and "gpt-9" not in scrape
