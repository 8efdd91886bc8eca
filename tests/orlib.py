"""Loading the OR-Library assignment instances shipped in tests/data/orlib."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import numpy as np

DATA = Path(__file__).parent / "data" / "orlib"

# name -> (n, sha256 prefix of the uncompressed file, published optimum)
INSTANCES = {
    "assign100": (100, "9e4cfb36e95b0dce", 305),
    "assign200": (200, "1a0dd444395e915b", 475),
    "assign300": (300, "5f57919fd4015b4c", 626),
    "assign400": (400, "1f905ee7b5860558", 804),
    "assign500": (500, "21c8d76c64fe7ae7", 991),
    "assign600": (600, "d78b73c80ee2c699", 1176),
    "assign700": (700, "a3a6b2d7ee081d44", 1362),
    "assign800": (800, "987ef1ca213e0c90", 1552),
}


def raw(name: str) -> bytes:
    return gzip.decompress((DATA / f"{name}.txt.gz").read_bytes())


def load(name: str) -> np.ndarray:
    """The cost matrix of an instance, checked against its recorded checksum and size."""
    data = raw(name)
    n, digest, _ = INSTANCES[name]
    assert hashlib.sha256(data).hexdigest()[:16] == digest, f"{name}: checksum differs"
    tokens = np.array(data.split(), dtype=np.int64)
    assert tokens[0] == n and len(tokens) == 1 + n * n, f"{name}: not 1 + n*n tokens"
    return tokens[1:].reshape(n, n)
