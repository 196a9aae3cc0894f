"""What a client process loads once and reuses across messages (models, cloud, head).

In Flower's simulation engine a Ray actor serves many messages; in deployment each
message may start a fresh process. Either way nothing here is reloaded needlessly.
"""

from __future__ import annotations

import functools
from pathlib import Path

import torch

from cache_sync.correction_cache import CacheHeader
from fleet.config import FederationConfig
from fleet.device_node import DeviceNode, NodeConfig
from workloads.fleet import FileFleetWorkload, FleetWorkload, FleetWorkloadConfig


@functools.lru_cache(maxsize=4)
def _zoo(root: str):
    from inference.zoo import Zoo

    return Zoo(root or None)


@functools.lru_cache(maxsize=8)
def _model(root: str, name: str):
    from inference.zoo import load_causal_lm

    torch.set_num_threads(1)  # several nodes share a machine's cores
    return load_causal_lm(name, _zoo(root))


@functools.lru_cache(maxsize=4)
def _cloud(root: str, url: str, pin: str | None = None, why: str = ""):
    """The cloud nodes call: the zoo's model in-process, or the server at `url`, which must serve
    the model of identity `pin` (the one the nodes' reward heads were calibrated for) when it
    reports one (`cloud serve` does)."""
    if url:
        from serving.remote_cloud import RemoteCloud, RemoteCloudConfig

        cloud = RemoteCloud(RemoteCloudConfig(url, expect_identity=pin, expect_why=why))
        cloud.connect(_tokenizer(root))
        return cloud
    from inference.cloud import LocalCloud

    return LocalCloud(_model(root, "cloud")[0])


@functools.lru_cache(maxsize=4)
def _hub_model(root: str, name: str):
    """A hub's model (fleet.hierarchy) as a `Cloud`, one per process."""
    from inference.cloud import LocalCloud

    return LocalCloud(_model(root, name)[0])


def _tokenizer(root: str):
    from inference.tokenizer import load_tokenizer

    zoo = _zoo(root)
    return load_tokenizer(zoo.root / "tokenizer")


@functools.lru_cache(maxsize=8)
def _head(root: str, device_model: str):
    from inference.runtime import load_head

    zoo = _zoo(root)
    return load_head(zoo.path(device_model), zoo.model_name("cloud"))


def header_for(cfg: FederationConfig) -> CacheHeader:
    zoo = _zoo(cfg.zoo)
    return CacheHeader(zoo.tokenizer_hash, int(zoo.manifest["vocab_size"]), cfg.n_min, cfg.n_max)


def workload_for(cfg: FederationConfig):
    """The generated fleet workload, or the run's workload file (read once per process)."""
    if cfg.workload_file:
        return file_workload_for(cfg)
    return FleetWorkload(FleetWorkloadConfig(
        devices=len(cfg.fleet_tiers), queries_per_round=cfg.queries_per_round, shared_pool=cfg.shared_pool,
        private_pool=cfg.private_pool, private_fraction=cfg.private_fraction, zipf_s=cfg.zipf_s, seed=cfg.seed))


@functools.lru_cache(maxsize=4)
def file_workload_for(cfg: FederationConfig) -> FileFleetWorkload:
    from workloads.errors import WorkloadError
    from workloads.files import load_workload, parse_columns

    devices = [cfg.device_name(i) for i in range(len(cfg.fleet_tiers))]
    requests = load_workload(cfg.workload_file, parse_columns(cfg.workload_columns))
    try:
        return FileFleetWorkload(requests, devices, cfg.queries_per_round, cfg.workload_split,
                                 cfg.seed, cfg.zipf_s, cfg.dirichlet_alpha)
    except WorkloadError as exc:  # the split's errors name a request: say which file holds it
        raise WorkloadError(f"{cfg.workload_file}: {exc}") from exc


@functools.lru_cache(maxsize=16)
def node_for(cfg: FederationConfig, device: str, tier: str, partition: int, state_dir: Path):
    """(DeviceNode, secure channel or None) for this device, built once per process."""
    profile = cfg.profile(tier)
    zoo = _zoo(cfg.zoo)
    model_name = zoo.model_name(profile.model)
    base, tokenizer = _model(cfg.zoo, model_name)
    head, meta = _head(cfg.zoo, model_name)
    family_ranks = [cfg.profile(t).lora_rank for t in cfg.fleet_tiers
                    if zoo.model_name(cfg.profile(t).model) == model_name]
    node_cfg = NodeConfig(device=device, partition=partition, profile=profile, state_dir=state_dir,
                          r_max=max(family_ranks), lora_seed=cfg.lora_seed, local_steps=cfg.local_steps,
                          lr=cfg.lr, max_new_tokens=cfg.max_new_tokens, head_epochs=cfg.head_epochs,
                          head_lr=cfg.head_lr, recurring_to_cloud=cfg.recurring_to_cloud,
                          settle_recurring=cfg.settle_recurring)
    pin, why = None, ""
    if cfg.cloud_url:  # the head routes for the cloud it was calibrated with: another served model is refused
        from inference.model_identity import folder_identity
        from inference.runtime import remote_pin

        pin, why = remote_pin(meta, zoo.path(model_name), zoo.model_name("cloud"), zoo, folder_identity)
    cloud = _cloud(cfg.zoo, cfg.cloud_url, pin, why)
    chain = None
    if cfg.hierarchy:
        from fleet.hierarchy import chain_builder
        from inference.tokenizer import number_token_ids

        chain = chain_builder(cfg.fleet_tiers, tier, state_dir, header_for(cfg), cfg.profile,
                              lambda t: zoo.model_name(cfg.profile(t).model),
                              lambda name: _hub_model(cfg.zoo, name), cloud, cfg.hop_confidence,
                              number_token_ids(tokenizer))
    node = DeviceNode(node_cfg, base, tokenizer, cloud, head, header_for(cfg), workload_for(cfg), chain)
    secure = None
    if cfg.secure:
        from cache_sync.channel import DeviceChannel

        secure = DeviceChannel.load(cfg.key_path, device)
    return node, secure


@functools.lru_cache(maxsize=4)
def _replay_corpus(cfg: FederationConfig):
    from fleet.replay import ReplayCorpus

    return ReplayCorpus.load(Path(cfg.replay_dir), header_for(cfg))


@functools.lru_cache(maxsize=65536)
def replay_node_for(cfg: FederationConfig, device: str, tier: str):
    """(ReplayNode, secure channel or None): a device replayed from the run's corpus."""
    from fleet.replay import ReplayNode

    node = ReplayNode(_replay_corpus(cfg), device, tier, cfg.seed)
    secure = None
    if cfg.secure:
        from cache_sync.channel import DeviceChannel

        secure = DeviceChannel.load(cfg.key_path, device)
    return node, secure
