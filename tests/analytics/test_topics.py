"""Topic classification: keyword rules, a trained model against them, stored models."""

from __future__ import annotations

import numpy as np
import pytest

from analytics import topics
from analytics.synthetic_orders import BANK, make_orders
from analytics.taxonomy import (
    DEFAULT_TOPICS,
    OTHER,
    KeywordRules,
    TaxonomyError,
    Topic,
    parse_keywords,
)

SMALL = (
    Topic("traffic_violation", "交通违法处理", ("违章", "交通违法", "罚款")),
    Topic("exit_entry", "出入境", ("护照", "签注")),
    Topic("attitude", "服务态度", ("态度", "不耐烦")),
    Topic("dormant", "停用", ("护照",), active=False),
    Topic(OTHER, "其他", ()),
)


def test_keyword_rules_pick_the_topic_with_most_keyword_weight() -> None:
    rules = KeywordRules(SMALL)
    assert rules.classify("孩子的护照签注一直办不下来") == "exit_entry"
    # One hit each: the topic listed first wins the tie.
    assert rules.classify("罚款的事问了两次，窗口态度很差") == "traffic_violation"
    # A longer keyword weighs more: with attitude listed first, one hit each would go to
    # attitude, but 交通违法 (4 characters) outweighs 态度 (2).
    attitude_first = KeywordRules((SMALL[2], SMALL[0]))
    assert attitude_first.classify("交通违法的事，态度差") == "traffic_violation"
    assert attitude_first.classify("罚款的事，态度差") == "attitude"
    assert rules.classify("工作人员不耐烦，态度冷淡") == "attitude"
    assert rules.classify("小区门口路灯坏了") == OTHER
    assert rules.classify("") == OTHER
    # A disabled topic's keywords count for nothing.
    assert "dormant" not in rules.codes


def test_parse_keywords_accepts_chinese_separators() -> None:
    assert parse_keywords("护照，签注、 通行证,护照") == ("护照", "签注", "通行证")
    with pytest.raises(TaxonomyError, match="longer than 20"):
        parse_keywords("这" * 21)


def test_each_synthetic_category_maps_to_its_topic_by_default() -> None:
    rules = KeywordRules(DEFAULT_TOPICS)
    for topic, (categories, _) in BANK.items():
        for category in categories:
            assert rules.classify(category) == topic, category


def test_synthetic_orders_are_deterministic() -> None:
    assert make_orders(50, seed=3) == make_orders(50, seed=3)
    assert make_orders(50, seed=3) != make_orders(50, seed=4)


@pytest.fixture(scope="module")
def labelled() -> tuple[list[str], list[str]]:
    orders = make_orders(1500, seed=7)
    return [o.content for o in orders], [o.topic for o in orders]


def test_trained_model_beats_the_keyword_rules_on_held_out_orders(
    labelled: tuple[list[str], list[str]],
) -> None:
    texts, labels = labelled
    rules = KeywordRules(DEFAULT_TOPICS)
    ev = topics.evaluate(texts, labels, rules, rules.keywords)
    assert ev.test_n == pytest.approx(0.2 * len(texts), abs=25)
    assert ev.macro_f1 > 0.8
    assert ev.macro_f1 > ev.keyword_macro_f1 + 0.2
    assert {t for t, *_ in ev.per_topic} == set(BANK)


def test_stored_model_predicts_what_scikit_learn_predicts(
    labelled: tuple[list[str], list[str]],
) -> None:
    """The JSON form recomputes TF-IDF and the linear scores itself: it must agree with
    scikit-learn's own pipeline fitted on the same data."""
    texts, labels = labelled
    rules = KeywordRules(DEFAULT_TOPICS)
    model = topics.train(texts, labels, rules.keywords)
    _, vec, clf = topics._fit(texts, labels, rules.keywords, topics.SEED)
    fresh = [o.content for o in make_orders(300, seed=8)]
    expected = clf.predict(vec.transform(fresh))
    got, _ = model.predict(fresh)
    assert np.mean([g == e for g, e in zip(got, expected, strict=True)]) > 0.99
    x_ours = model.features(fresh).toarray()
    x_sklearn = vec.transform(fresh).toarray()
    np.testing.assert_allclose(x_ours, x_sklearn, atol=1e-6)


def test_training_and_the_stored_form_are_reproducible(
    labelled: tuple[list[str], list[str]],
) -> None:
    texts, labels = labelled
    words = KeywordRules(DEFAULT_TOPICS).keywords
    a = topics.train(texts, labels, words)
    b = topics.train(texts, labels, words)
    assert a.to_json() == b.to_json()
    again = topics.TopicModel.from_json(a.to_json())
    fresh = [o.content for o in make_orders(200, seed=9)]
    assert again.predict(fresh)[0] == a.predict(fresh)[0]


def test_a_text_without_known_words_falls_back_to_the_keywords(
    labelled: tuple[list[str], list[str]],
) -> None:
    texts, labels = labelled
    rules = KeywordRules(DEFAULT_TOPICS)
    model = topics.train(texts, labels, rules.keywords)
    found, sources = topics.classify(["ABC", "xyz 噼里啪啦护照"], model, rules)
    assert sources[0] == "keywords" and found[0] == OTHER
    assert found[1] == "exit_entry"


def test_a_topic_disabled_after_training_is_no_longer_given(
    labelled: tuple[list[str], list[str]],
) -> None:
    texts, labels = labelled
    model = topics.train(texts, labels, KeywordRules(DEFAULT_TOPICS).keywords)
    text = "孩子的护照预约不上号，出国留学很着急"
    assert topics.classify([text], model, KeywordRules(DEFAULT_TOPICS)) == (
        ["exit_entry"],
        ["model"],
    )
    without = [
        Topic(t.code, t.name, t.keywords, active=t.code != "exit_entry") for t in DEFAULT_TOPICS
    ]
    found, sources = topics.classify([text], model, KeywordRules(without))
    assert found != ["exit_entry"] and sources == ["keywords"]


def test_too_few_labels_keep_the_keyword_rules() -> None:
    orders = make_orders(60, seed=1)
    with pytest.raises(topics.TrainError, match="too few labelled work orders"):
        topics.train([o.content for o in orders], [o.topic for o in orders])
    # Topics with fewer than MIN_PER_TOPIC examples are left out, not guessed at.
    assert topics.usable(["a"] * 5 + ["b"] * 4 + [OTHER] * 9) == [True] * 5 + [False] * 13


def test_unknown_model_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown topic model format"):
        topics.TopicModel.from_json('{"format": 99, "method": "pickle"}')
