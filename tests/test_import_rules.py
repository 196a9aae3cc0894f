"""The layering rules each package's docstring states, enforced on the source.

Every import statement counts, including the lazy ones inside functions: a lazy import is
still a dependency, only a cheaper one at start-up.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
OURS = {"fedhybrid", "inference", "cache_sync", "strategies", "server", "clients", "fleet", "serving",
        "training", "workloads", "agent"}
TRANSPORT = {"flwr", "httpx", "fastapi", "uvicorn", "starlette", "grpc"}
MODELS = {"torch", "transformers", "peft"}

# package -> top-level modules it must never import
RULES: dict[str, set[str]] = {
    "workloads": (OURS - {"workloads"}) | TRANSPORT | MODELS,
    "cache_sync": (OURS - {"cache_sync"}) | TRANSPORT | MODELS | {"socket"},
    "inference": {"fedhybrid", "server", "clients", "fleet", "serving", "training", "workloads", "strategies",
                  "agent"} | TRANSPORT,
    "strategies": {"fedhybrid", "inference", "serving", "server", "clients", "fleet", "training", "workloads", "agent"}
    | MODELS | (TRANSPORT - {"flwr"}),
    "training": {"fedhybrid", "server", "clients", "serving", "fleet", "strategies", "agent"} | TRANSPORT,
    "serving": {"fedhybrid", "server", "clients", "fleet", "training", "strategies", "agent", "flwr", "grpc"},
    "agent": {"fedhybrid", "server", "clients", "fleet", "training", "strategies", "flwr", "grpc"},
    "fleet": {"fedhybrid", "server", "clients", "serving", "agent"} | TRANSPORT,
    "server": {"fedhybrid", "clients", "serving", "agent", "fastapi", "uvicorn", "starlette"},
    "clients": {"fedhybrid", "server", "fastapi", "uvicorn", "starlette"},
}


def imported_modules(source: str) -> list[tuple[int, str]]:
    """(line, top-level module) of every absolute import in `source`, lazy ones included."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
    return found


def violations(package: str, root: Path = REPO) -> list[str]:
    """'path:line imports X' for every import `package` must not make."""
    forbidden = RULES[package]
    out = []
    for path in sorted((root / package).rglob("*.py")):
        for line, module in imported_modules(path.read_text()):
            if module in forbidden:
                out.append(f"{path.relative_to(root)}:{line} imports {module}")
    return out


@pytest.mark.parametrize("package", sorted(RULES))
def test_package_respects_its_import_rules(package):
    assert violations(package) == []


def test_rules_match_each_package_docstring():
    """Each package documents what it holds and what it must not import."""
    for package in sorted(OURS):
        doc = ast.get_docstring(ast.parse((REPO / package / "__init__.py").read_text())) or ""
        assert doc, f"{package}/__init__.py has no docstring"
        if package in RULES:
            assert "Must not import" in doc, f"{package}/__init__.py does not state its import rules"


def test_a_forbidden_import_is_reported(tmp_path):
    """The checker catches top-level and lazy imports alike (a rule that cannot fail is no rule)."""
    pkg = tmp_path / "inference"
    pkg.mkdir()
    (pkg / "__init__.py").write_text('"""x."""\n')
    (pkg / "decoder.py").write_text("import os\nfrom inference import kv\n\n\ndef f():\n"
                                    "    from flwr.app import Message\n    import server.app\n")
    assert violations("inference", tmp_path) == ["inference/decoder.py:6 imports flwr",
                                                 "inference/decoder.py:7 imports server"]


def test_nothing_below_the_cli_imports_it():
    for package in sorted(OURS - {"fedhybrid"}):
        for path in (REPO / package).rglob("*.py"):
            assert "fedhybrid" not in {m for _, m in imported_modules(path.read_text())}, path
