"""The reward head: predicts, from the device's own state, how far the cloud would disagree.

Target (arXiv 2409.13757, token-level form): r_t = log p_cloud(y_t|ctx) - max_v
log p_cloud(v|ctx), from one teacher-forced cloud pass over the device's output; r_t <= 0
and is 0 when the device token is the cloud's greedy choice. Input: the device model's
last hidden state (d) and its top-k next-token log-probabilities (k). A two-layer MLP
(LayerNorm -> Linear(d + k, width) -> GELU -> Linear(width, 1)) regresses r_t (clipped at
`label_floor`, since beyond a few nats "wrong" is all the router needs to know).

`score()` is the per-token hot path. With the optional C extension `inference._reward_score`
(built at install time where a compiler exists) it is one call on weights bound once, with
LayerNorm's gamma and beta folded into the first layer: 8 torch calls on these tiny tensors
cost ~6.5% of an edge device step, mostly per-call overhead, the C call well under 5%
(`fedhybrid bench routing` measures it). Without the extension the torch path runs; both
give the same score to float32 rounding.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from inference.errors import InferenceError, NoRewardHead

try:  # the C hot path (optional: built at install time where a compiler exists)
    from inference import _reward_score as _native
except ImportError:  # pragma: no cover - depends on the build
    _native = None

HEAD_FILE = "head.safetensors"
CONFIG_FILE = "head.json"


@dataclass(frozen=True)
class RewardHeadConfig:
    hidden_size: int
    top_k: int = 8
    width: int = 64
    label_floor: float = -8.0  # labels below are clipped to this

    def __post_init__(self) -> None:
        if min(self.hidden_size, self.top_k, self.width) <= 0:
            raise InferenceError("hidden_size, top_k and width must be positive")
        if self.label_floor >= 0:
            raise InferenceError(f"label_floor={self.label_floor} must be negative")


class RewardHead(torch.nn.Module):
    def __init__(self, cfg: RewardHeadConfig):
        super().__init__()
        self.cfg = cfg
        self.norm = torch.nn.LayerNorm(cfg.hidden_size)
        self.fc1 = torch.nn.Linear(cfg.hidden_size + cfg.top_k, cfg.width)
        self.fc2 = torch.nn.Linear(cfg.width, 1)
        self._scorer = None  # C scorer bound to the current weights; dropped when they may change

    def features(self, hidden: torch.Tensor, logprobs: torch.Tensor) -> torch.Tensor:
        """(..., d) hidden and (..., V) log-probs -> (..., d + k) features."""
        top = torch.topk(logprobs, self.cfg.top_k, dim=-1).values  # (..., k), best first
        return torch.cat([self.norm(hidden), top], dim=-1)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """(N, d + k) features (hidden part already normalised) -> (N,) predicted r."""
        return self.fc2(F.gelu(self.fc1(features))).squeeze(-1)

    def predict_rows(self, rows: torch.Tensor) -> torch.Tensor:
        """(N, d + k) raw rows (hidden state first, as `fit` and the labels keep them) -> (N,)
        predicted r, the hidden part normalised by the head's LayerNorm here."""
        d = self.cfg.hidden_size
        return self(torch.cat([self.norm(rows[:, :d]), rows[:, d:]], dim=-1))

    @torch.no_grad()
    def score(self, hidden: torch.Tensor, logprobs: torch.Tensor) -> float:
        """Predicted r for one position: hidden (d,), logprobs (V,) (float32, on the CPU)."""
        if _native is not None and not self.training:
            if self._scorer is None:
                self._scorer = self._bind()
            return self._scorer.score(hidden.numpy(), logprobs.numpy())
        return float(self.forward(self.features(hidden, logprobs)))

    @property
    def backend(self) -> str:
        """Which path `score()` takes: "c" (the extension) or "torch"."""
        return "c" if _native is not None and not self.training else "torch"

    def _bind(self):
        """Fold LayerNorm into fc1 and hand the weights to the C scorer.

        fc1(LN(h), top) = W_h (gamma * h_hat + beta) + W_k top + b1
                        = (W_h * gamma) h_hat + W_k top + (W_h beta + b1), h_hat = (h - mean) / std.
        The folding is done in float64, then stored as float32, transposed to (in, out).
        """
        d = self.cfg.hidden_size
        w1 = self.fc1.weight.detach().double().cpu()  # (width, d + k)
        w_h, w_k = w1[:, :d], w1[:, d:]
        gamma, beta = self.norm.weight.detach().double().cpu(), self.norm.bias.detach().double().cpu()
        bias = w_h @ beta + self.fc1.bias.detach().double().cpu()  # (width,)

        def f32(t: torch.Tensor):
            return t.float().contiguous().numpy()

        return _native.Scorer(wh=f32((w_h * gamma).T), wk=f32(w_k.T), b=f32(bias),
                              w2=f32(self.fc2.weight.detach()[0].cpu()),
                              b2=float(self.fc2.bias.detach()[0]), eps=float(self.norm.eps),
                              d=d, k=self.cfg.top_k, w=self.cfg.width)

    def train(self, mode: bool = True) -> RewardHead:
        self._scorer = None  # training changes the weights
        return super().train(mode)

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        self._scorer = None
        return super().load_state_dict(state_dict, strict=strict, assign=assign)

    def __getstate__(self) -> dict:
        return {**super().__getstate__(), "_scorer": None}  # the C object does not pickle

    def save(self, folder: Path, extra: dict | None = None) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        save_file({k: v.contiguous() for k, v in self.state_dict().items()}, str(folder / HEAD_FILE))
        (folder / CONFIG_FILE).write_text(json.dumps({"config": asdict(self.cfg), **(extra or {})},
                                                     indent=2, sort_keys=True) + "\n")

    @staticmethod
    def load(folder: Path) -> tuple[RewardHead, dict]:
        """Load a head and its metadata (calibration table, tokenizer hash, cloud name).

        Raises:
            InferenceError: missing or unreadable files, naming the fix.
        """
        cfg_path, weights = folder / CONFIG_FILE, folder / HEAD_FILE
        if not cfg_path.is_file() or not weights.is_file():
            raise NoRewardHead(f"no reward head in {folder}: run `fedhybrid calibrate` for this "
                                 "device/cloud pair (with --target-cloud-share X, so that routing needs no "
                                 "--threshold), or route with --policy confidence --threshold P")
        try:
            meta = json.loads(cfg_path.read_text())
            head = RewardHead(RewardHeadConfig(**meta["config"]))
            head.load_state_dict(load_file(str(weights)))
        except (json.JSONDecodeError, KeyError, TypeError, RuntimeError, OSError, SafetensorError) as exc:
            raise InferenceError(f"reward head in {folder} is unreadable ({exc}): run "
                                 "`fedhybrid calibrate` again") from exc
        head.eval()
        return head, meta


def fit(features: torch.Tensor, labels: torch.Tensor, cfg: RewardHeadConfig, epochs: int = 30,
        lr: float = 3e-3, seed: int = 0, batch: int = 256) -> tuple[RewardHead, dict]:
    """Train a head on raw (hidden, top-k) rows; returns it and train/validation MSE.

    `features` is (N, d + k) with the raw hidden state first; the head's LayerNorm is
    applied inside training exactly as in `score()`.
    """
    if len(features) != len(labels) or len(features) < 10:
        raise InferenceError(f"need >= 10 labelled tokens with matching features, got "
                             f"{len(features)} features and {len(labels)} labels")
    torch.manual_seed(seed)
    head = RewardHead(cfg)
    y = labels.clamp(min=cfg.label_floor)
    perm = torch.randperm(len(features), generator=torch.Generator().manual_seed(seed))
    n_val = max(1, len(features) // 10)
    val, train = perm[:n_val], perm[n_val:]
    predict = head.predict_rows
    opt = torch.optim.AdamW(head.parameters(), lr=lr, weight_decay=1e-4)
    best, best_state = float("inf"), None
    for _ in range(epochs):
        head.train()
        order = train[torch.randperm(len(train))]
        for start in range(0, len(order), batch):
            idx = order[start: start + batch]
            loss = F.mse_loss(predict(features[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        head.eval()
        with torch.no_grad():
            val_loss = float(F.mse_loss(predict(features[val]), y[val]))
        if val_loss < best:
            best, best_state = val_loss, {k: v.clone() for k, v in head.state_dict().items()}
    head.load_state_dict(best_state)
    head.eval()
    with torch.no_grad():
        train_loss = float(F.mse_loss(predict(features[train]), y[train]))
    return head, {"train_mse": train_loss, "val_mse": best, "tokens": len(features)}


def fine_tune(head: RewardHead, features: torch.Tensor, labels: torch.Tensor, weights: torch.Tensor,
              epochs: int = 4, lr: float = 1e-3, seed: int = 0, batch: int = 128) -> tuple[RewardHead, dict]:
    """A copy of `head` trained further on a device's labels (inference/reward_labels.py).

    Weighted MSE: each label's weight is 1 / the probability it was collected with, so the
    loss estimates the loss over every token the device produced (not only the labelled
    ones). Returns the new head and {"loss_before", "loss_after", "labels"} (weighted MSE).
    """
    if len(features) != len(labels) or len(labels) != len(weights) or len(labels) == 0:
        raise InferenceError(f"need matching features, labels and weights, got {len(features)}, {len(labels)}, "
                             f"{len(weights)}")
    if not torch.isfinite(features).all() or not torch.isfinite(labels).all() or (weights < 0).any():
        raise InferenceError("reward labels hold non-finite values or negative weights")
    torch.manual_seed(seed)
    tuned = RewardHead(head.cfg)
    tuned.load_state_dict(head.state_dict())
    y = labels.clamp(min=head.cfg.label_floor)
    w = weights / weights.mean()

    def loss_of(rows: torch.Tensor, target: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        return (weight * (tuned.predict_rows(rows) - target) ** 2).mean()

    with torch.no_grad():
        before = float(loss_of(features, y, w))
    opt = torch.optim.AdamW(tuned.parameters(), lr=lr, weight_decay=1e-4)
    gen = torch.Generator().manual_seed(seed)
    tuned.train()
    for _ in range(epochs):
        order = torch.randperm(len(y), generator=gen)
        for start in range(0, len(order), batch):
            idx = order[start: start + batch]
            loss = loss_of(features[idx], y[idx], w[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    tuned.eval()
    with torch.no_grad():
        after = float(loss_of(features, y, w))
    return tuned, {"loss_before": before, "loss_after": after, "labels": len(y)}


def head_arrays(head: RewardHead) -> dict[str, np.ndarray]:
    """The head's weights as float32 numpy arrays (what a round carries)."""
    return {k: v.detach().cpu().float().numpy().copy() for k, v in head.state_dict().items()}


def head_from_arrays(cfg: RewardHeadConfig, arrays: dict[str, np.ndarray]) -> RewardHead:
    """A head of `cfg` with these weights; InferenceError when they do not fit it."""
    head = RewardHead(cfg)
    expected = {k: tuple(v.shape) for k, v in head.state_dict().items()}
    got = {k: tuple(np.asarray(v).shape) for k, v in arrays.items()}
    if got != expected:
        raise InferenceError(f"reward head weights do not fit the head ({sorted(got.items())} vs "
                             f"{sorted(expected.items())})")
    if not all(np.isfinite(np.asarray(v)).all() for v in arrays.values()):
        raise InferenceError("reward head weights hold NaN or Inf")
    head.load_state_dict({k: torch.from_numpy(np.asarray(v, dtype=np.float32).copy()) for k, v in arrays.items()})
    head.eval()
    return head


def config_of_arrays(arrays: dict[str, np.ndarray], label_floor: float = -8.0) -> RewardHeadConfig:
    """The config whose head these weights fit (norm.weight: (d,), fc1.weight: (width, d + k)):
    how a device without a head of its own takes the fleet's. InferenceError when they are not a head's."""
    try:
        d = int(np.asarray(arrays["norm.weight"]).shape[0])
        width, inputs = (int(n) for n in np.asarray(arrays["fc1.weight"]).shape)
    except (KeyError, ValueError, IndexError) as exc:
        raise InferenceError(f"reward head weights lack norm.weight or a 2-D fc1.weight ({exc})") from exc
    return RewardHeadConfig(hidden_size=d, top_k=inputs - d, width=width, label_floor=label_floor)


def pack_head(arrays: dict[str, np.ndarray]) -> bytes:
    """Head weights as safetensors bytes (what a round message carries)."""
    from safetensors.numpy import save

    return save({k: np.ascontiguousarray(v, dtype=np.float32) for k, v in sorted(arrays.items())})


def unpack_head(data: bytes) -> dict[str, np.ndarray]:
    """The inverse of `pack_head`; InferenceError for bytes that are not a head's."""
    from safetensors import SafetensorError
    from safetensors.numpy import load

    try:
        return load(bytes(data))
    except (SafetensorError, ValueError, TypeError) as exc:
        raise InferenceError(f"reward head bytes are unreadable ({exc})") from exc
