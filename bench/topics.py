"""Topic classification figures: macro-F1 on held-out orders, training time on 60,000
orders, and classification throughput on one core after training.

Uses synthetic labelled work orders (analytics/synthetic_orders.py, fixed seed). Ratios are
to references measured in the same run on the same texts (the machine is shared): the
training time against one segmentation pass over the training texts, the model's
throughput against the keyword rules' (one regular expression).

Usage: python bench/topics.py [--orders 60000] [--classify 20000]
Prints figures; it is not a pass/fail test. Target: >= 10,000 texts/s.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

# One core: the BLAS and OpenMP pools stay at one thread.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from analytics import duplicates, topics  # noqa: E402
from analytics.synthetic_orders import make_orders  # noqa: E402
from analytics.taxonomy import DEFAULT_TOPICS, KeywordRules  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=60_000)
    parser.add_argument("--classify", type=int, default=20_000)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

    rules = KeywordRules(DEFAULT_TOPICS)
    orders = make_orders(args.orders, seed=19)
    texts = [o.content for o in orders]
    labels = [o.topic for o in orders]
    chars = sum(map(len, texts)) / len(texts)
    print(f"{len(texts)} synthetic work orders, {chars:.0f} characters on average")

    ev = topics.evaluate(texts, labels, rules, rules.keywords)
    print(
        f"held-out macro-F1: model {ev.macro_f1:.3f}, keyword rules {ev.keyword_macro_f1:.3f} "
        f"({ev.test_n} held-out orders, trained on {ev.train_n})"
    )

    seg = topics.Segmenter(rules.keywords)
    t0 = time.perf_counter()
    for t in texts:
        seg(t)
    seg_s = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), time.process_time()
    model = topics.train(texts, labels, rules.keywords)
    train_s, train_cpu = time.perf_counter() - t0, time.process_time() - c0
    print(
        f"training on {len(texts)} orders: {train_s:.2f} s wall, {train_cpu:.2f} s CPU "
        f"({train_s / seg_s:.1f}x one segmentation pass of {seg_s:.2f} s); "
        f"{len(model.terms)} words, {len(model.classes)} topics"
    )

    fresh = make_orders(args.classify, seed=20)  # texts the model has not seen
    sample = [o.content for o in fresh]
    model.predict(sample[:100])  # the segmenter's dictionary is built on first use
    t0, c0 = time.perf_counter(), time.process_time()
    topics.classify(sample, model, rules)
    model_s, model_cpu = time.perf_counter() - t0, time.process_time() - c0
    t0 = time.perf_counter()
    rules.classify_many(sample)
    rules_s = time.perf_counter() - t0
    rate = len(sample) / model_s
    print(
        f"classification, one core: {rate:,.0f} texts/s wall, "
        f"{len(sample) / model_cpu:,.0f} per CPU second "
        f"({rules_s / model_s:.2f}x the keyword rules' {len(sample) / rules_s:,.0f} texts/s)"
    )
    # Real 12345 contents run longer; three orders in one text, about 150 characters.
    long = ["，".join(sample[i : i + 3]) for i in range(0, len(sample) - 2, 3)]
    t0, c0 = time.perf_counter(), time.process_time()
    topics.classify(long, model, rules)
    long_s, long_cpu = time.perf_counter() - t0, time.process_time() - c0
    chars = sum(map(len, long)) / len(long)
    print(
        f"classification of {chars:.0f}-character texts: {len(long) / long_s:,.0f} texts/s "
        f"wall, {len(long) / long_cpu:,.0f} per CPU second"
    )
    print(f"stored model: {len(model.to_json()) / 1e6:.1f} MB of JSON")

    # A busy city week: 5,000 complaints (synthetic texts repeat their templates, so they
    # give more candidate pairs than real ones).
    week = make_orders(5_000, seed=21)
    items = pd.DataFrame(
        {
            "kind": "workorder",
            "item_id": np.arange(len(week)),
            "text": [o.content for o in week],
            "channel": [o.channel for o in week],
            "phone_hash": [f"p{i % 3000}" if i % 4 == 0 else None for i in range(len(week))],
            "unit_id": 1,
            "topic": [o.topic for o in week],
            "at": np.arange(len(week)),
        }
    )
    duplicates.group_duplicates(items.head(50))  # imports
    t0 = time.perf_counter()
    groups = duplicates.group_duplicates(items)
    dup_s = time.perf_counter() - t0
    print(
        f"near-duplicate grouping of {len(items):,} complaints: {dup_s:.2f} s "
        f"({dup_s / model_s * len(sample) / len(items):.1f}x classifying them), "
        f"{groups['group'].nunique()} groups"
    )


if __name__ == "__main__":
    main()
