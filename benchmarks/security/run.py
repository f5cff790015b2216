"""bricolage-security against the libraries it wraps, side by side in one run.

    nox -s bench -- security            # or: python benchmarks/security/run.py
    nox -s bench -- security jwt        # only the JWT rows (passwords take minutes)
    BRICOLAGE_BENCH_REPEATS=5 python benchmarks/security/run.py

Each operation runs in batches, ours and the peers interleaved round by round; the table
shows the median time per operation over the rounds, the peak memory traced while running
it (tracemalloc: Python allocations only, so argon2's 64 MiB C buffer is not counted), and
the ratio ours / peer (1.00 means no overhead; the goal is at most 1.05 against the library
we wrap: argon2-cffi for passwords, PyJWT for JWT; joserfc is an independent library).
"""

from __future__ import annotations

import gc
import os
import platform
import secrets
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import argon2
import jwt as pyjwt
from joserfc import jwt as jose_jwt
from joserfc.jwk import ECKey, OctKey

from bricolage.security import JWTIssuer, JWTKey, JWTVerifier, PasswordHasher

REPEATS = int(os.environ.get("BRICOLAGE_BENCH_REPEATS", "21"))
ISS, AUD = "https://auth.example", "api"
SECRET = b"0123456789abcdef0123456789abcdef"


def measure_all(
    fns: dict[str, Callable[[], object]], batch: int
) -> dict[str, tuple[float, int, list[float]]]:
    """Median seconds per call, peak traced bytes and the per-round times, per callable.

    The callables run interleaved, one batch each per round, so a change in the load of a
    shared machine hits ours and the peers alike instead of skewing the ratios.
    """
    times: dict[str, list[float]] = {name: [] for name in fns}
    for fn in fns.values():
        fn()  # warm up
    for _ in range(REPEATS):
        for name, fn in fns.items():
            gc.disable()
            start = time.perf_counter()
            for _ in range(batch):
                fn()
            times[name].append((time.perf_counter() - start) / batch)
            gc.enable()
    result = {}
    for name, fn in fns.items():
        tracemalloc.start()
        for _ in range(min(batch, 20)):
            fn()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        result[name] = (statistics.median(times[name]), peak, times[name])
    return result


def row(
    name: str,
    ours: tuple[float, int, list[float]],
    peers: dict[str, tuple[float, int, list[float]]],
) -> list[str]:
    """Markdown table rows: timings in microseconds, peaks in KiB, ratio ours / peer.

    The ratio is the median of the per-round ratios (ours and the peer ran back to back in
    each round); the spread is their interquartile range.
    """
    lines = []
    for peer, (peer_time, peer_mem, peer_rounds) in peers.items():
        ratios = sorted(o / p for o, p in zip(ours[2], peer_rounds, strict=True))
        quartiles = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else ratios * 3
        lines.append(
            f"| {name} | {peer} | {ours[0] * 1e6:,.1f} | {peer_time * 1e6:,.1f} | "
            f"{statistics.median(ratios):.3f} | {quartiles[0]:.3f}-{quartiles[-1]:.3f} | "
            f"{ours[1] / 1024:,.0f} | {peer_mem / 1024:,.0f} |"
        )
    return lines


def compare(
    name: str, batch: int, ours: Callable[[], object], **peers: Callable[[], object]
) -> list[str]:
    """Rows comparing ``ours`` with each peer."""
    results = measure_all({"ours": ours, **peers}, batch)
    return row(name, results.pop("ours"), results)


def passwords() -> list[str]:
    ours = PasswordHasher()  # argon2id, RFC 9106 low-memory profile (t=3, m=64 MiB, p=4)
    theirs = argon2.PasswordHasher()  # argon2-cffi's default: the same profile
    assert ours.parameters.memory_cost == theirs.memory_cost
    assert ours.parameters.time_cost == theirs.time_cost
    assert ours.parameters.parallelism == theirs.parallelism
    password = "correct horse battery staple"
    stored_ours, stored_theirs = ours.hash(password), theirs.hash(password)
    batch = 3

    def verify_theirs() -> None:
        theirs.verify(stored_theirs, password)
        theirs.check_needs_rehash(stored_theirs)

    lines = compare(
        "argon2id hash",
        batch,
        lambda: ours.hash(password),
        **{"argon2-cffi": lambda: theirs.hash(password)},
    )
    lines += compare(
        "argon2id verify + rehash check",
        batch,
        lambda: ours.verify_and_update(stored_ours, password),
        **{"argon2-cffi": verify_theirs},
    )
    return lines


def _claims() -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": ISS,
        "aud": AUD,
        "iat": now,
        "exp": now + 3600,
        "sub": "alice",
        "jti": secrets.token_urlsafe(16),  # ours makes a random jti too
        "scope": "read",
    }


def _jwt_rows(alg: str, key: JWTKey) -> list[str]:
    issuer = JWTIssuer(key, issuer=ISS, audience=AUD, lifetime=3600)
    verifier = JWTVerifier([key], issuer=ISS, audience=AUD)
    raw: Any = key.key
    public: Any = key.public().key
    if alg == "HS256":
        jose_key: Any = OctKey.import_key(SECRET)
    else:
        private_jwk = pyjwt.algorithms.ECAlgorithm.to_jwk(raw, as_dict=True)
        jose_key = ECKey.import_key(private_jwk)
    registry = jose_jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": ISS},
        aud={"essential": True, "value": AUD},
        exp={"essential": True},
        iat={"essential": True},
        leeway=30,
    )
    token = issuer.encode({"scope": "read"}, subject="alice")
    batch = 500 if alg == "HS256" else 100

    def decode_pyjwt() -> object:
        return pyjwt.decode(
            token,
            public,
            algorithms=[alg],
            audience=AUD,
            issuer=ISS,
            leeway=30,
            options={"require": ["exp", "iat", "iss", "aud"]},
        )

    def decode_joserfc() -> object:
        decoded = jose_jwt.decode(token, jose_key, algorithms=[alg])
        registry.validate(decoded.claims)
        return decoded

    lines = compare(
        f"JWT {alg} encode",
        batch,
        lambda: issuer.encode({"scope": "read"}, subject="alice"),
        PyJWT=lambda: pyjwt.encode(_claims(), raw, algorithm=alg),
        joserfc=lambda: jose_jwt.encode({"alg": alg}, _claims(), jose_key, algorithms=[alg]),
    )
    lines += compare(
        f"JWT {alg} decode + validate",
        batch,
        lambda: verifier.decode(token),
        PyJWT=decode_pyjwt,
        joserfc=decode_joserfc,
    )
    return lines


def jwts() -> list[str]:
    return _jwt_rows("HS256", JWTKey.hmac(SECRET)) + _jwt_rows("ES256", JWTKey.generate("ES256"))


def main() -> None:
    print(
        f"bricolage-security benchmark: Python {platform.python_version()}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs, {REPEATS} repeats (median per op)"
    )
    print()
    print(
        "| operation | peer | ours (µs) | peer (µs) | ratio ours/peer | ratio IQR "
        "| ours peak KiB | peer peak KiB |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    sections = sys.argv[1:] or ["passwords", "jwt"]
    lines = (passwords() if "passwords" in sections else []) + (
        jwts() if "jwt" in sections else []
    )
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
