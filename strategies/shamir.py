"""Shamir secret sharing of 32-byte secrets (Shamir, "How to share a secret", CACM 1979).

A secret s (an integer below 2^256) is the constant term of a random polynomial f of
degree t - 1 over GF(p), p = 2^521 - 1 (a Mersenne prime, so every 32-byte secret is a
field element); holder x receives (x, f(x)). Any t shares give s back by Lagrange
interpolation at 0; t - 1 shares are uniformly distributed whatever s is, so they reveal
nothing. Used by `strategies.secagg` to let a device's neighbours recover its mask seeds
when it drops out (SecAgg, Bonawitz et al. CCS 2017; SecAgg+, Bell et al. CCS 2020).
"""

from __future__ import annotations

import secrets as _secrets

from strategies.errors import StrategyError

PRIME = 2**521 - 1
SECRET_BYTES = 32
SHARE_BYTES = 66  # field elements below 2^521 fit 66 bytes


def split(secret: bytes, holders: list[int], threshold: int) -> dict[int, bytes]:
    """Shares of `secret` for each holder x in `holders` (distinct, in [1, p)); any
    `threshold` of them reconstruct it."""
    if len(secret) != SECRET_BYTES:
        raise StrategyError(f"a shared secret has {SECRET_BYTES} bytes, got {len(secret)}")
    if not 1 <= threshold <= len(holders):
        raise StrategyError(f"threshold {threshold} must lie in [1, {len(holders)}] (the number of holders)")
    if len(set(holders)) != len(holders) or any(not 0 < x < PRIME for x in holders):
        raise StrategyError("share holders must be distinct non-zero field elements")
    # f(x) = s + c_1 x + ... + c_{t-1} x^{t-1}, coefficients uniform in GF(p)
    coefficients = [int.from_bytes(secret, "big")] + [_secrets.randbelow(PRIME) for _ in range(threshold - 1)]
    out = {}
    for x in holders:
        y = 0
        for c in reversed(coefficients):  # Horner
            y = (y * x + c) % PRIME
        out[x] = y.to_bytes(SHARE_BYTES, "big")
    return out


def combine(shares: dict[int, bytes], threshold: int) -> bytes:
    """The secret from at least `threshold` shares {holder x: share}; uses the first
    `threshold` holders in sorted order."""
    if len(shares) < threshold:
        raise StrategyError(f"{len(shares)} shares cannot reconstruct a secret shared with threshold {threshold}")
    points = []
    for x, raw in sorted(shares.items())[:threshold]:
        if len(raw) != SHARE_BYTES or not 0 < x < PRIME:
            raise StrategyError(f"share of holder {x} is malformed ({len(raw)} bytes)")
        y = int.from_bytes(raw, "big")
        if y >= PRIME:
            raise StrategyError(f"share of holder {x} is not a field element")
        points.append((x, y))
    secret = 0
    for i, (xi, yi) in enumerate(points):
        # Lagrange basis at 0: prod_{j != i} x_j / (x_j - x_i)
        num, den = 1, 1
        for j, (xj, _) in enumerate(points):
            if j != i:
                num = num * xj % PRIME
                den = den * (xj - xi) % PRIME
        secret = (secret + yi * num * pow(den, -1, PRIME)) % PRIME
    if secret >= 2 ** (8 * SECRET_BYTES):
        raise StrategyError("the shares do not reconstruct a 32-byte secret: some share is wrong")
    return secret.to_bytes(SECRET_BYTES, "big")
