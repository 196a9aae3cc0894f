"""The offline model zoo: Llama-style causal LMs sharing one tokenizer, one per tier.

A zoo is a folder holding `manifest.json` and one standard Hugging Face model folder per
model (config.json, model.safetensors, tokenizer files). The manifest records each
model's architecture, training recipe and seed, its evaluation, and the sha256 of every
file, so loading can tell a corrupt or partial file from a good one. Any HF causal-LM
folder can stand in for a zoo model (`load_causal_lm(path)`), as long as the fleet shares
one tokenizer.

Weights are stored in float16 (the shipped zoo must stay small) and loaded as float32
(fp16/bf16 matmuls are slower than fp32 on the CPUs this runs on).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

from safetensors import SafetensorError, safe_open

from inference.errors import ZooError
from inference.tokenizer import TOKENIZER_FILE, check_same, check_same_splits, load_tokenizer, tokenizer_hash

if TYPE_CHECKING:  # torch and transformers' model classes are imported by load_causal_lm only: a
    # zoo's paths and tokenizer are read without them (`workload check`: 1.5 s, not 7.6 s)
    from transformers import PreTrainedModel, PreTrainedTokenizerFast

MANIFEST = "manifest.json"
SCHEMA_VERSION = 1
REBUILD_HINT = "rebuild it with `fedhybrid zoo build` (or `fedhybrid zoo build --only {name}`)"


def default_zoo_dir() -> Path:
    """The zoo shipped beside the packages (`<repo>/zoo`).

    Flower runs an app from its installed bundle, which carries the zoo's JSON files but
    not its weights; then the zoo of the working directory (where `flwr run .` was
    started) is the one with weights.
    """
    candidates = [Path(__file__).resolve().parent.parent / "zoo", Path.cwd() / "zoo"]
    for folder in candidates:
        manifest = folder / MANIFEST
        if manifest.is_file() and any(folder.glob("*/model.safetensors")):
            return folder
    return candidates[0]


def _file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def hash_folder(folder: Path) -> dict[str, str]:
    """sha256 of every regular file in `folder` (not recursive), by file name."""
    return {p.name: _file_hash(p) for p in sorted(folder.iterdir()) if p.is_file()}


def read_manifest(path: Path) -> dict:
    """A zoo's manifest.json, its shape checked so a damaged one is a ZooError naming the file.

    Raises:
        ZooError: not UTF-8 JSON, another schema, or a field missing or of the wrong type.
    """
    try:
        manifest = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise ZooError(f"zoo manifest {path} is not valid JSON ({type(exc).__name__}: {exc}): "
                       f"{REBUILD_HINT.format(name='<model>')}") from exc
    if not isinstance(manifest, dict):
        raise ZooError(f"zoo manifest {path} holds a JSON {type(manifest).__name__}, not an object: "
                       f"{REBUILD_HINT.format(name='<model>')}")
    if manifest.get("schema") != SCHEMA_VERSION:
        raise ZooError(f"zoo manifest {path} has schema {manifest.get('schema')!r}, "
                       f"this fedhybrid reads schema {SCHEMA_VERSION}: rebuild the zoo")
    problem = _manifest_problem(manifest)
    if problem:
        raise ZooError(f"zoo manifest {path} is damaged ({problem}): {REBUILD_HINT.format(name='<model>')}")
    return manifest


def _str_map(value) -> bool:
    return isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())


def _manifest_problem(manifest: dict) -> str | None:
    models = manifest.get("models")
    if not isinstance(models, dict):
        return "'models' is not an object"
    for name, entry in models.items():
        if not isinstance(entry, dict) or not _str_map(entry.get("files")):
            return f"model {name!r} has no 'files' map of names to hashes"
    if not _str_map(manifest.get("tiers")):
        return "'tiers' is not a map of tier to model name"
    if not isinstance(manifest.get("tokenizer_hash"), str):
        return "'tokenizer_hash' is not a string"
    return None


class Zoo:
    """A zoo folder with a verified manifest."""

    def __init__(self, root: str | Path | None = None):
        self.root = Path(root) if root is not None else default_zoo_dir()
        path = self.root / MANIFEST
        if not path.is_file():
            shipped = default_zoo_dir()
            where = (f"the shipped zoo is {shipped}; check --zoo, or build one there with "
                     if self.root.resolve() != shipped.resolve() else "build it with ")
            raise ZooError(f"no zoo manifest at {path}: {where}`fedhybrid zoo build --out {self.root}`")
        self.manifest = read_manifest(path)

    @property
    def names(self) -> list[str]:
        return sorted(self.manifest["models"])

    @property
    def tiers(self) -> dict[str, str]:
        return dict(self.manifest["tiers"])

    @property
    def tokenizer_hash(self) -> str:
        return self.manifest["tokenizer_hash"]

    def model_name(self, tier_or_name: str) -> str:
        """Resolve a tier ("edge") or a model name to a model name of this zoo."""
        name = self.manifest["tiers"].get(tier_or_name, tier_or_name)
        if name not in self.manifest["models"]:
            raise ZooError(f"{tier_or_name!r} is neither a tier {sorted(self.tiers)} nor a model "
                           f"{self.names} of the zoo at {self.root}")
        return name

    def path(self, tier_or_name: str) -> Path:
        return self.root / self.model_name(tier_or_name)

    def folder(self, ref: str) -> Path:
        """The folder `ref` names: a tier's or a model's of this zoo, else `ref` itself as a path
        (a model a user brings)."""
        return self.path(ref) if ref in self.tiers or ref in self.names else Path(ref)

    def entry(self, tier_or_name: str) -> dict:
        return self.manifest["models"][self.model_name(tier_or_name)]

    def verify(self, tier_or_name: str) -> Path:
        """Check every file of a model against the manifest; returns the model folder.

        Raises:
            ZooError: a file is missing or its hash differs, naming the file and the fix.
        """
        name = self.model_name(tier_or_name)
        folder = self.root / name
        for file_name, expected in self.manifest["models"][name]["files"].items():
            path = folder / file_name
            hint = REBUILD_HINT.format(name=name)
            if not path.is_file():
                raise ZooError(f"zoo file {path} is missing: {hint}")
            if _file_hash(path) != expected:
                raise ZooError(f"zoo file {path} is corrupt (sha256 differs from {self.root / MANIFEST}): {hint}")
        return folder


UNBOUNDED_CONTEXT = 1 << 30  # a model whose config names no max_position_embeddings (Mamba, say)


def context_length(model) -> int:
    """The positions a loaded model takes, prompt and answer together: its config's
    `max_position_embeddings`, or UNBOUNDED_CONTEXT when it names none."""
    return int(getattr(model.config, "max_position_embeddings", UNBOUNDED_CONTEXT))


def load_causal_lm(name_or_path: str | Path, zoo: Zoo | None = None, device: str = "cpu",
                   expected_tokenizer_hash: str | None = None, expected_from: str = "the fleet",
                   expected_tokenizer: PreTrainedTokenizerFast | None = None,
                   ) -> tuple[PreTrainedModel, PreTrainedTokenizerFast]:
    """Load a zoo model (tier or model name, verified) or any HF causal-LM folder.

    `expected_tokenizer`: the tokenizer of a model loaded beside this one (a device's, for its
    cloud): its hash must match, and so must the ids it gives the probe texts (one vocabulary
    with another pre-tokenizer splits the same text into other tokens).

    Returns (model in eval mode, float32, on `device`; its tokenizer).

    Raises:
        ZooError: a zoo file is missing/corrupt, the folder has no tokenizer.json, a weights file
            is truncated, or the path holds no loadable model.
        TokenizerMismatchError: the model's tokenizer differs from `expected_tokenizer_hash` (or
            `expected_tokenizer`'s hash), the hash of `expected_from`'s tokenizer, or splits a probe
            text otherwise than `expected_tokenizer` (both named in the message).
    """
    folder: Path
    in_zoo = zoo is not None and (str(name_or_path) in zoo.tiers or str(name_or_path) in zoo.names)
    if in_zoo:
        folder = zoo.verify(str(name_or_path))
        expected_tokenizer_hash = expected_tokenizer_hash or zoo.tokenizer_hash
    else:
        folder = Path(name_or_path)
        if not (folder / "config.json").is_file():
            known = f" (zoo tiers: {sorted(zoo.tiers)}, models: {zoo.names})" if zoo else ""
            raise ZooError(f"{name_or_path} is not a zoo model nor a folder with config.json{known}")
    if not (folder / TOKENIZER_FILE).is_file():
        raise ZooError(f"{TOKENIZER_FILE} is missing in {folder}: save the tokenizer with save_pretrained beside "
                       "the model")
    import torch
    from transformers import AutoModelForCausalLM
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # one bar per small model load is noise, not progress
    fix = (REBUILD_HINT.format(name=folder.name) if in_zoo else
           "the folder must hold a causal LM saved with save_pretrained and its tokenizer (tokenizer.json)")
    verbosity = hf_logging.get_verbosity()
    # transformers prints a load report table for missing or unexpected tensors: the missing ones
    # are refused below in one line (`_check_complete`), and unused extra tensors do not matter
    hf_logging.set_verbosity_error()
    try:
        tokenizer = load_tokenizer(folder)
        model, loading = AutoModelForCausalLM.from_pretrained(str(folder), dtype=torch.float32,
                                                              output_loading_info=True)
    except SafetensorError as exc:  # a truncated or damaged weights file: name it
        again = (REBUILD_HINT.format(name=folder.name) if in_zoo
                 else "copy it again, or save the model again with save_pretrained")
        raise ZooError(f"{_damaged_weights(folder)} cannot be read ({exc}): the file is truncated or damaged; "
                       f"{again}") from exc
    except (OSError, ValueError, RuntimeError) as exc:
        raise ZooError(f"could not load the model in {folder}: {exc}. {fix}") from exc
    finally:
        hf_logging.set_verbosity(verbosity)
    _check_complete(folder, model, loading, tokenizer, fix)
    if expected_tokenizer is not None:
        expected_tokenizer_hash = tokenizer_hash(expected_tokenizer)
    if expected_tokenizer_hash is not None:
        check_same(expected_tokenizer_hash, tokenizer, f"model {folder}", expected_from)
    if expected_tokenizer is not None:
        check_same_splits(expected_tokenizer, tokenizer, f"model {folder}", expected_from)
    model.to(device).eval()
    return model, tokenizer


def _check_complete(folder: Path, model, loading: dict, tokenizer, fix: str) -> None:
    """Refuse a model whose checkpoint lacks tensors it needs (transformers initialises them at
    random and goes on: a BertModel folder loaded as a causal LM "answered" with a random LM head)
    or whose embedding has fewer rows than its tokenizer has tokens (an id past the end fails
    every request that meets it, an IndexError deep in a decode).

    Raises:
        ZooError: naming the folder, the missing tensors (the first few) or both sizes, and the fix.
    """
    missing = sorted(loading.get("missing_keys") or [])
    if missing:
        shown = ", ".join(missing[:4]) + (f" and {len(missing) - 4} more" if len(missing) > 4 else "")
        raise ZooError(f"the weights in {folder} lack {len(missing)} tensor(s) {type(model).__name__} needs ({shown}): "
                       "not a causal LM's checkpoint (a base model without its LM head?) or saved incompletely; "
                       f"{fix}")
    rows = model.get_input_embeddings().num_embeddings
    if rows < len(tokenizer):
        raise ZooError(f"the model in {folder} has {rows} embedding rows and its tokenizer {len(tokenizer)} tokens: "
                       f"token ids {rows}..{len(tokenizer) - 1} would fail every request that meets them; resize the "
                       "embeddings (model.resize_token_embeddings(len(tokenizer))) and save it again, or save the "
                       "tokenizer the model was trained with")


def _damaged_weights(folder: Path) -> str:
    """The first weights file of `folder` whose safetensors header does not read (the folder's
    weights files, named, when none fails alone)."""
    files = sorted(folder.glob("*.safetensors"))
    for path in files:
        try:
            with safe_open(str(path), framework="pt"):
                pass
        except (SafetensorError, OSError):
            return str(path)
    return ", ".join(p.name for p in files) or "a weights file"


def tokenizer_hash_of(folder: Path) -> str:
    return tokenizer_hash(load_tokenizer(folder))
