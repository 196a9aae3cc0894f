"""Fixtures of the agent's HTTP tests (the engine fixtures are tests/conftest.py's)."""

import pytest

from agent.app import create_agent_app, write_token
from agent.sync import RoundRunner
from serving.http_app import HttpConfig


@pytest.fixture
def agent(make_agent, serve_app):
    """(engine, url, admin token): device agent edge-2 served over HTTP, max_tokens up to 64."""
    engine = make_agent("edge-2")
    token = write_token(engine.cfg.token_path)
    with serve_app(create_agent_app(engine, RoundRunner(engine), HttpConfig(max_tokens_limit=64), token)) as url:
        yield engine, url, token
