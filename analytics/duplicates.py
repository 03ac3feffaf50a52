"""Near-duplicate complaints: the same matter from many people, or one person through many
channels, grouped so that a bureau counts a matter once and answers it once.

Two complaints join one group when
- their texts are near-duplicates: character 3-gram sets with a Jaccard similarity of at
  least JACCARD (candidates from MinHash signatures, datasketch, banded for LSH; each pair
  then checked exactly, so LSH can only miss pairs, never join different ones), or
- they come from the same phone (keyed hash) and have the same topic;
and groups are the connected components of those links.
"""

from __future__ import annotations

import re
import unicodedata
import zlib

import numpy as np
import pandas as pd

JACCARD = 0.5
NUM_PERM = 64
ROWS = 4  # per LSH band: 16 bands of 4, whose S-curve turns at (1/16)^(1/4) = 0.5
SHINGLE = 3
MIN_CHARS = 10  # shorter texts ("态度差") say too little to be "the same matter"
EXCERPT = 60
_NOISE = re.compile(r"[\W_]+")
_DIGITS = re.compile(r"(\d{3})\d{4,}(\d{4})")

ITEM_COLUMNS = ["kind", "item_id", "text", "channel", "phone_hash", "unit_id", "topic", "at"]
GROUP_COLUMNS = ["group", "size", "people", "channels", *ITEM_COLUMNS]


def shingles(text: str) -> set[str]:
    """Character 3-grams of the text without punctuation or spaces (NFKC, lower case)."""
    s = _NOISE.sub("", unicodedata.normalize("NFKC", text).lower())
    if len(s) < SHINGLE:
        return {s} if s else set()
    return {s[i : i + SHINGLE] for i in range(len(s) - SHINGLE + 1)}


def excerpt(text: str) -> str:
    """The start of a text with long digit runs (phone numbers) masked."""
    short = text if len(text) <= EXCERPT else text[:EXCERPT] + "…"
    return _DIGITS.sub(r"\1****\2", short)


class _Union:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def join(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _text_links(texts: list[str], union: _Union) -> None:
    sets = [shingles(t) for t in texts]
    usable = [i for i, s in enumerate(sets) if len(_NOISE.sub("", texts[i])) >= MIN_CHARS]
    if len(usable) < 2:
        return
    from datasketch import MinHash  # about 0.4 s to import (scipy): only when needed

    encoded = [[g.encode("utf-8") for g in sets[i]] for i in usable]
    # crc32: a deterministic 32-bit hash in C (datasketch's default, sha1, costs 10x more).
    hashes = MinHash.bulk(encoded, num_perm=NUM_PERM, seed=1, hashfunc=zlib.crc32)
    signatures = np.vstack([h.hashvalues for h in hashes])
    ids = np.asarray(usable, dtype=np.int64)
    # LSH banding: texts that agree on all ROWS values of some band are candidates.
    for band in range(NUM_PERM // ROWS):
        keys = signatures[:, band * ROWS : (band + 1) * ROWS]
        _, bucket = np.unique(keys, axis=0, return_inverse=True)
        bucket = bucket.ravel()
        order = np.argsort(bucket, kind="stable")
        edges = np.flatnonzero(np.diff(bucket[order])) + 1
        for members in np.split(ids[order], edges):
            if len(members) < 2:
                continue
            for x in range(len(members)):
                i = int(members[x])
                for j in members[x + 1 :]:
                    j = int(j)
                    if union.find(i) == union.find(j):
                        continue  # already linked: no need to check this pair
                    a, b = sets[i], sets[j]
                    if len(a & b) >= JACCARD * len(a | b):
                        union.join(i, j)


def group_duplicates(items: pd.DataFrame) -> pd.DataFrame:
    """Items (ITEM_COLUMNS) → the members of every group of two or more, one row each,
    with `group` (1 = the largest group), `size`, `people` (distinct phones; items without
    a phone count as one person each) and `channels` (distinct, joined with '/'). Members
    are ordered by group, then time."""
    items = items.reset_index(drop=True)
    n = len(items)
    union = _Union(n)
    _text_links([str(t) for t in items["text"]], union)
    # Index labels, which are positions after the reset above.
    same_person = items[items["phone_hash"].notna()].groupby(["phone_hash", "topic"]).groups
    for labels in same_person.values():
        for k in labels[1:]:
            union.join(int(labels[0]), int(k))
    root = np.array([union.find(i) for i in range(n)], dtype=np.int64)
    out = items.assign(root=root)
    size = out.groupby("root")["root"].transform("size")
    out = out[size >= 2].assign(size=size[size >= 2].astype(np.int64))
    if out.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in GROUP_COLUMNS}).astype(
            {"group": np.int64, "size": np.int64, "people": np.int64}
        )
    person = (
        out["phone_hash"]
        .astype(object)
        .where(out["phone_hash"].notna(), "item:" + out.index.astype(str))
    )
    people = out.assign(person=person).groupby("root")["person"].transform("nunique")
    channels = out.groupby("root")["channel"].transform(
        lambda c: "/".join(sorted(set(map(str, c))))
    )
    first = out.groupby("root")["at"].transform("min")
    out = out.assign(people=people.astype(np.int64), channels=channels, first=first)
    order = (
        out[["root", "size", "first"]]
        .drop_duplicates("root")
        .sort_values(["size", "first", "root"], ascending=[False, True, True])
    )
    number = {int(r): g for g, r in enumerate(order["root"], 1)}
    out = out.assign(group=out["root"].map(number).astype(np.int64))
    out = out.sort_values(["group", "at", "kind", "item_id"], ignore_index=True)
    return out[GROUP_COLUMNS]
