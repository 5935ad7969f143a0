"""Near-duplicate detection for syndicated copies: word-shingle MinHash with LSH bands.

The same MSS story runs on China Daily, ECNS and People's Daily with a few words
changed. Two texts whose 5-word shingle sets overlap by the configured Jaccard
similarity are treated as one story. A signature is ``PERMUTATIONS`` 64-bit minima;
it is cut into ``BANDS`` bands whose hashes the store indexes, so finding candidates
is an indexed lookup, not a scan of the archive.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from dataclasses import dataclass, field

import numpy as np

SHINGLE_WORDS = 5
PERMUTATIONS = 64
BANDS = 16
ROWS = PERMUTATIONS // BANDS
_PRIME = np.uint64((1 << 61) - 1)
_rng = np.random.default_rng(20261127)  # fixed: signatures must be stable across runs
_A = _rng.integers(1, int(_PRIME), size=PERMUTATIONS, dtype=np.uint64)
_B = _rng.integers(0, int(_PRIME), size=PERMUTATIONS, dtype=np.uint64)
_WORD = re.compile(r"\w+")
_BASE = np.uint64(1_000_003)


@dataclass(frozen=True, slots=True)
class Signature:
    values: bytes  # PERMUTATIONS little-endian uint64
    # One signed 63-bit hash per band (fits an SQLite INTEGER): computed once, since both
    # finding a story and indexing the article read them.
    bands: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        bands = tuple(
            int.from_bytes(
                hashlib.blake2b(self.values[b * ROWS * 8 : (b + 1) * ROWS * 8], digest_size=8).digest(),
                "little",
            )
            >> 1
            for b in range(BANDS)
        )
        object.__setattr__(self, "bands", bands)

    def similarity(self, other: Signature) -> float:
        """Estimated Jaccard similarity of the two shingle sets."""
        a = np.frombuffer(self.values, dtype="<u8")
        b = np.frombuffer(other.values, dtype="<u8")
        return float(np.mean(a == b))


def signature(text: str) -> Signature | None:
    """MinHash signature of ``text``; None when it is too short to compare reliably."""
    words = _WORD.findall(text.casefold())
    if len(words) < SHINGLE_WORDS * 4:
        return None
    # Each shingle's hash is a polynomial of its words' CRC-32s, computed for all shingles
    # at once; CRC-32 is stable across processes, unlike hash().
    ids = np.fromiter((zlib.crc32(w.encode()) for w in words), dtype=np.uint64, count=len(words))
    n = len(words) - SHINGLE_WORDS + 1
    hashes = np.zeros(n, dtype=np.uint64)
    for k in range(SHINGLE_WORDS):
        hashes = hashes * _BASE + ids[k : k + n]  # wraps mod 2**64, as intended
    hashes = np.unique(hashes) % _PRIME
    # (a*x + b) mod p for every permutation and shingle; uint64 products wrap, which keeps
    # them a family of hash functions even though it is not exact arithmetic mod p.
    permuted = (np.outer(_A, hashes) + _B[:, None]) % _PRIME
    return Signature(permuted.min(axis=1).astype("<u8").tobytes())
