"""A zoo made of the user's own models (`fedhybrid zoo init`): what the shipped zoo is for the
fleet (one tokenizer, one model per tier, a manifest of file hashes), from Hugging Face
causal-LM folders the user brings, so that `device serve`, `fed run`, `fleet up` and the
demos run on them with `--zoo DIR`.

Every model is loaded first (a folder that is not a complete causal LM, or whose embedding is
smaller than its tokenizer, is refused as `load_causal_lm` refuses it) and every model must
share the cloud's tokenizer (the fleet's caches are keyed by its token ids): nothing is written
until all of them pass, and the zoo is written beside its final place and renamed into it, so
a failed init leaves nothing half-made.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from inference.errors import ZooError
from inference.tokenizer import check_same_splits, tokenizer_hash
from inference.zoo import MANIFEST, SCHEMA_VERSION, hash_folder, load_causal_lm

TIERS = ("cloud", "client", "edge", "iot")
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")


def init_zoo(out: Path, sources: dict[str, Path], say=print) -> dict:
    """Write a zoo at `out` from `sources` (tier -> model folder; every tier of TIERS named, one
    folder may serve several tiers). Reward heads beside a model (`reward-*/`) are copied with it.
    Returns the manifest.

    Raises:
        ZooError: `out` exists, a tier is missing or unknown, a folder is not a usable causal LM,
            or two models do not share one tokenizer (both hashes named); nothing is written.
    """
    unknown = sorted(set(sources) - set(TIERS))
    missing = [t for t in TIERS if t not in sources]
    if unknown or missing:
        raise ZooError(f"a zoo needs a model for each tier {', '.join(TIERS)}"
                       + (f"; missing: {', '.join(missing)}" if missing else "")
                       + (f"; unknown: {', '.join(unknown)}" if unknown else ""))
    if out.exists():
        raise ZooError(f"{out} exists: give --out a new folder (a zoo is written whole, never over another)")
    sources = {tier: Path(folder) for tier, folder in sources.items()}
    names = _model_names(sources)
    cloud_model, cloud_tok = load_causal_lm(sources["cloud"])
    expected = tokenizer_hash(cloud_tok)
    params: dict[str, int] = {}
    for folder, name in names.items():
        say(f"checking {name} ({folder})")
        model, tok = (cloud_model, cloud_tok) if folder == sources["cloud"] else load_causal_lm(folder)
        if tokenizer_hash(tok) != expected:
            raise ZooError(f"the model in {folder} has another tokenizer (hash {tokenizer_hash(tok)[:12]}) than the "
                           f"cloud's in {sources['cloud']} (hash {expected[:12]}): a fleet shares one tokenizer, "
                           "since its caches are keyed by token ids; give models saved with the same tokenizer")
        check_same_splits(cloud_tok, tok, f"model {folder}", f"the cloud model {sources['cloud']}")
        params[name] = sum(p.numel() for p in model.parameters())
    staging = out.with_name(f".{out.name}.init")
    if staging.exists():  # a crashed init's leftovers: never part of a zoo
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    try:
        models = {}
        for folder, name in names.items():
            shutil.copytree(folder, staging / name, ignore=_not_model)
            # heads are found as reward-<the cloud model's name>, which is "cloud" here; the head
            # keeps the identities it recorded (the copied files are the same)
            own = staging / name / f"reward-{sources['cloud'].name}"
            if own.is_dir() and not (staging / name / "reward-cloud").exists():
                own.rename(staging / name / "reward-cloud")
            models[name] = {"files": hash_folder(staging / name), "params": params[name], "metrics": {},
                            "source": str(folder.resolve())}
        (staging / "tokenizer").mkdir()
        for file_name in TOKENIZER_FILES:
            if (sources["cloud"] / file_name).is_file():
                shutil.copy2(sources["cloud"] / file_name, staging / "tokenizer" / file_name)
        manifest = {"schema": SCHEMA_VERSION, "models": models,
                    "tiers": {tier: names[sources[tier]] for tier in TIERS},
                    "tokenizer_hash": expected, "vocab_size": len(cloud_tok),
                    "built_with": {"command": "fedhybrid zoo init"}}
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        staging.rename(out)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise ZooError(f"could not write the zoo at {out} ({exc}); nothing was kept") from exc
    return manifest


def _model_names(sources: dict[str, Path]) -> dict[Path, str]:
    """Folder -> model name: the tier it serves (the first of TIERS that names it), so a model's
    folder in the zoo reads as its role and a user's own folder names never collide."""
    names: dict[Path, str] = {}
    for tier in TIERS:
        folder = Path(sources[tier])
        if not (folder / "config.json").is_file():
            raise ZooError(f"--{tier} {folder}: not a model folder (no config.json); give a folder saved with "
                           "save_pretrained")
        names.setdefault(folder, tier)
    return names


def _not_model(directory: str, entries: list[str]) -> list[str]:
    """What copytree leaves out: sub-folders other than reward heads (checkpoints, caches)."""
    root = Path(directory)
    return [e for e in entries if (root / e).is_dir() and not e.startswith("reward-")]
