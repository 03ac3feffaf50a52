"""`pingjing topics ...`: the taxonomy, the hotline-category map, train / evaluate / apply,
and near-duplicate complaints."""

from __future__ import annotations

import argparse
import time
from datetime import date
from typing import Any

from rating.cli import CliError, with_store
from rating.clock import now_ms
from rating.settings import Settings
from rating.store import Store


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.load(database=getattr(args, "database", None))


def _edit(args: argparse.Namespace, fn: Any, *params: Any, **kw: Any) -> Any:
    from analytics.taxonomy import TaxonomyError

    try:
        return with_store(_settings(args), lambda store: store.write(fn, *params, **kw))
    except TaxonomyError as exc:
        raise CliError(str(exc)) from None


def cmd_list(args: argparse.Namespace) -> None:
    from analytics.topics_db import load_taxonomy

    for t in with_store(_settings(args), lambda store: store.read(load_taxonomy)):
        state = "" if t.active else "\t(disabled)"
        print(f"{t.code}\t{t.name}\t{'、'.join(t.keywords)}{state}")


def cmd_add(args: argparse.Namespace) -> None:
    from analytics.taxonomy import parse_keywords
    from analytics.topics_db import add_topic

    _edit(args, add_topic, args.code, args.name, parse_keywords(args.keywords or ""), now_ms())
    print(f"topic {args.code} ({args.name.strip()}) added")


def cmd_set(args: argparse.Namespace) -> None:
    import functools

    from analytics.taxonomy import parse_keywords
    from analytics.topics_db import update_topic

    work = functools.partial(
        update_topic,
        name=args.name,
        keywords=None if args.keywords is None else parse_keywords(args.keywords),
        add=parse_keywords(args.add or ""),
        remove=parse_keywords(args.remove or ""),
        active=args.active,
    )
    topic = _edit(args, work, args.code, now_ms())
    state = "" if topic.active else " (disabled)"
    print(f"{topic.code}\t{topic.name}\t{'、'.join(topic.keywords)}{state}")


def cmd_categories(args: argparse.Namespace) -> None:
    from analytics.topics_db import list_categories

    rows = with_store(_settings(args), lambda store: store.read(list_categories))
    if not rows:
        print("no work order has a category yet (import hotline exports first)")
        return
    for r in rows:
        how = "set" if r.how == "map" else "by keywords"
        print(f"{r.category}\t{r.orders}\t{r.topic}\t{how}")


def cmd_map(args: argparse.Namespace) -> None:
    from analytics.topics_db import set_category

    code = None if args.topic == "-" else args.topic
    _edit(args, set_category, args.category, code, now_ms())
    target = "the keyword rules" if code is None else f"topic {code}"
    print(f"category {args.category.strip()} -> {target} (run pingjing topics train again)")


async def _labelled(store: Store) -> tuple[list[str], list[str], list[str], Any]:
    from analytics.taxonomy import KeywordRules
    from analytics.topics_db import labelled_orders, load_taxonomy

    texts, labels = await store.read(labelled_orders)
    rules = KeywordRules(await store.read(load_taxonomy))
    return texts, labels, rules.keywords, rules


def cmd_evaluate(args: argparse.Namespace) -> None:
    from analytics.topics import TrainError, evaluate

    texts, labels, words, rules = with_store(_settings(args), _labelled)
    try:
        ev = evaluate(texts, labels, rules, words, seed=args.seed)
    except TrainError as exc:
        raise CliError(str(exc)) from None
    print_evaluation(ev)


def print_evaluation(ev: Any) -> None:
    print(f"labelled orders: {ev.train_n} to train, {ev.test_n} held out (stratified, seed)")
    print(f"macro-F1 on the held-out orders: {ev.macro_f1:.3f} (model)")
    print(f"macro-F1 on the held-out orders: {ev.keyword_macro_f1:.3f} (keyword rules alone)")
    print(f"training time: {ev.train_s:.2f} s for {ev.train_n} orders")
    print("topic\tprecision\trecall\tF1\theld-out orders")
    for topic, p, r, f, n in ev.per_topic:
        print(f"{topic}\t{p:.3f}\t{r:.3f}\t{f:.3f}\t{n}")


def cmd_train(args: argparse.Namespace) -> None:
    from analytics.topics import MIN_LABELS, TrainError, evaluate, train
    from analytics.topics_db import save_model

    settings = _settings(args)
    texts, labels, words, rules = with_store(settings, _labelled)
    macro_f1 = None
    try:
        if len(texts) >= 2 * MIN_LABELS:
            ev = evaluate(texts, labels, rules, words, seed=args.seed)
            macro_f1 = ev.macro_f1
            print(f"held-out macro-F1 {ev.macro_f1:.3f} (keyword rules {ev.keyword_macro_f1:.3f})")
        t0 = time.perf_counter()
        model = train(texts, labels, words, macro_f1=macro_f1, seed=args.seed)
    except TrainError as exc:
        raise CliError(str(exc)) from None
    seconds = time.perf_counter() - t0
    model_id = with_store(settings, lambda store: store.write(save_model, model, now_ms()))
    print(
        f"model #{model_id}: {len(model.classes)} topics, {len(model.terms)} words, trained on "
        f"{model.labels} labelled orders in {seconds:.1f} s; stored in the database "
        "(pingjing topics apply --all to re-assign with it)"
    )


def _since(text: str | None) -> int:
    if not text:
        return 0
    try:
        d = date.fromisoformat(text)
    except ValueError:
        raise CliError(f"--since {text!r}: give a date such as 2026-11-01") from None
    return (d - date(1970, 1, 1)).days * 86_400_000 - 8 * 3_600_000


def cmd_apply(args: argparse.Namespace) -> None:
    from collections import Counter

    from analytics.taxonomy import KeywordRules
    from analytics.topics import jieba_version
    from analytics.topics_db import (
        assign,
        category_map,
        latest_model,
        load_taxonomy,
        texts_to_classify,
        write_assignments,
    )

    since = _since(args.since)

    async def run(store: Store) -> tuple[list[Any], Any]:
        texts = await store.read(texts_to_classify, since, not args.all)
        model = await store.read(latest_model)
        rules = KeywordRules(await store.read(load_taxonomy))
        rows = assign(texts, model, rules, await store.read(category_map))
        await store.write(write_assignments, rows, now_ms())
        return rows, model

    rows, model = with_store(_settings(args), run)
    if model is not None and model[1].jieba != jieba_version():
        print(
            f"note: model #{model[0]} was trained with {model[1].jieba}, this is "
            f"{jieba_version()}; words may split differently: run pingjing topics train"
        )
    which = f"model #{model[0]}" if model else "the keyword rules (no trained model)"
    print(f"{len(rows)} text(s) given a topic with {which}")
    by_source = Counter(r[3] for r in rows)
    for source in ("category", "model", "keywords"):
        if by_source[source]:
            print(f"  {by_source[source]} by {source}")


def cmd_duplicates(args: argparse.Namespace) -> None:
    from analytics.duplicates import excerpt
    from analytics.weekly import ReportError, weekly_report

    settings = _settings(args)
    try:
        report = with_store(
            settings, lambda store: weekly_report(store, settings, week=args.week, unit=args.unit)
        )
    except ReportError as exc:
        raise CliError(str(exc)) from None
    groups = report.extra["duplicates"]
    print(f"near-duplicate complaints, {report.week.describe()}, {report.scope}")
    if groups.empty:
        print("no groups")
        return
    for g, members in groups.groupby("group", sort=True):
        first = members.iloc[0]
        print(
            f"group {g}: {first['size']} complaints from {first['people']} people via "
            f"{first['channels']} ({first['topic_name']})"
        )
        for m in members.itertuples(index=False):
            print(
                f"  {m.item} #{m.ref}\t{m.channel}\t{m.opened}\t{m.unit_path}\t{excerpt(m.excerpt)}"
            )


def register(sub: Any) -> None:
    """Add the `topics` command group to the `pingjing` parser."""
    topics = sub.add_parser("topics", help="topic analysis (一键分析): taxonomy, model, duplicates")
    tsub = topics.add_subparsers(dest="topics_command", required=True)
    p = tsub.add_parser("list", help="the taxonomy: code, name, keywords")
    p.set_defaults(func=cmd_list)
    p = tsub.add_parser("add", help="add a topic")
    p.add_argument("code", help="a short ASCII code (stored with every assignment)")
    p.add_argument("name", help="the name the report shows")
    p.add_argument("--keywords", help="comma-separated keywords")
    p.set_defaults(func=cmd_add)
    p = tsub.add_parser("set", help="change a topic's name or keywords, disable or enable it")
    p.add_argument("code")
    p.add_argument("--name")
    p.add_argument("--keywords", help="replace the keywords (comma-separated)")
    p.add_argument("--add", help="add keywords")
    p.add_argument("--remove", help="remove keywords")
    p.add_argument("--disable", dest="active", action="store_false", default=None)
    p.add_argument("--enable", dest="active", action="store_true", default=None)
    p.set_defaults(func=cmd_set)
    p = tsub.add_parser("categories", help="hotline categories and the topic each maps to")
    p.set_defaults(func=cmd_categories)
    p = tsub.add_parser("map", help="map a hotline category to a topic ('-': keyword rules)")
    p.add_argument("category")
    p.add_argument("topic")
    p.set_defaults(func=cmd_map)
    for name, fn, text in (
        ("train", cmd_train, "train the classifier on the labelled work orders and store it"),
        ("evaluate", cmd_evaluate, "macro-F1 on a held-out split of the labelled work orders"),
    ):
        p = tsub.add_parser(name, help=text)
        p.add_argument("--seed", type=int, default=19, help="split and solver seed")
        p.set_defaults(func=fn)
    p = tsub.add_parser("apply", help="give every comment and work order a topic")
    p.add_argument("--all", action="store_true", help="re-assign texts that have a topic")
    p.add_argument("--since", help="only texts from this date (YYYY-MM-DD) on")
    p.set_defaults(func=cmd_apply)
    p = tsub.add_parser("duplicates", help="near-duplicate complaints of a week, grouped")
    p.add_argument("--week", help="ISO week such as 2026-W47 (default: the last full week)")
    p.add_argument("--unit", help="only this unit (code or full path)")
    p.set_defaults(func=cmd_duplicates)
