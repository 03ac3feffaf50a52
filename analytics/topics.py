"""Topic classification (一键分析): jieba word segmentation (through rjieba), TF-IDF and a
linear SVM trained on the bureau's own labelled work orders, with the taxonomy's keyword
rules as the fallback.

A trained model is kept as JSON (vocabulary, idf weights, coefficients as base64 float32,
the segmenter's version and the extra words the segmenter was given) in the project's own
database (table topic_models) and never as a pickle: loading it runs no code, so a model
row cannot execute anything, and every `apply` with the same model row gives the same
topics. Predictions always go through the stored form, also right after training.
"""

from __future__ import annotations

import base64
import importlib.metadata
import json
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from analytics.taxonomy import OTHER, KeywordRules

if TYPE_CHECKING:
    import scipy.sparse as sp

FORMAT = 1
METHOD = "tfidf_linear_svm"
MIN_LABELS = 100  # fewer labelled orders: keep the keyword rules
MIN_PER_TOPIC = 5  # a topic with fewer examples is left to the keyword rules
MAX_FEATURES = 50_000
HELD_OUT = 0.2
SEED = 19


class TrainError(ValueError):
    """Training is not possible (too few labels); the message says what is missing."""


def jieba_version() -> str:
    return f"rjieba {importlib.metadata.version('rjieba')}"


# A token worth a feature holds a letter or CJK character (not punctuation, not a number).
_WORDLIKE = re.compile(r"[^\W\d_]")


class Segmenter:
    """jieba's exact mode (its dictionary and algorithm, through rjieba: the compiled
    jieba-rs port, about twenty times faster than pure-Python jieba), without the HMM for
    unknown words: deterministic, and the taxonomy's keywords are added to the dictionary
    instead."""

    def __init__(self, words: Sequence[str] = ()) -> None:
        import rjieba

        self.tokenizer = rjieba.Jieba()
        self.words = tuple(sorted(set(words)))
        for w in self.words:
            self.tokenizer.add_word(w, None, None)

    def __call__(self, text: str) -> list[str]:
        text = unicodedata.normalize("NFKC", text)
        search = _WORDLIKE.search
        return [w for w in self.tokenizer.cut(text, False) if search(w)]


def _b64(a: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(a, dtype="<f4").tobytes()).decode("ascii")


def _unb64(s: str, shape: tuple[int, ...]) -> np.ndarray:
    return np.frombuffer(base64.b64decode(s), dtype="<f4").reshape(shape).astype(np.float64)


@dataclass(frozen=True)
class TopicModel:
    """A trained classifier in its stored form."""

    classes: tuple[str, ...]
    terms: tuple[str, ...]  # feature i is terms[i]
    idf: np.ndarray  # (features,)
    coef: np.ndarray  # (classes, features)
    intercept: np.ndarray  # (classes,)
    words: tuple[str, ...]  # extra dictionary words the segmenter had
    jieba: str
    labels: int  # labelled orders it was trained on
    macro_f1: float | None  # on the held-out split, measured before training on all

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": FORMAT,
                "method": METHOD,
                "classes": list(self.classes),
                "terms": list(self.terms),
                "idf": _b64(self.idf),
                "coef": _b64(self.coef),
                "intercept": _b64(self.intercept),
                "words": list(self.words),
                "jieba": self.jieba,
                "labels": self.labels,
                "macro_f1": self.macro_f1,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> TopicModel:
        d = json.loads(text)
        if d.get("format") != FORMAT or d.get("method") != METHOD:
            raise ValueError(f"unknown topic model format {d.get('format')}/{d.get('method')}")
        n_cls, n_feat = len(d["classes"]), len(d["terms"])
        return cls(
            classes=tuple(d["classes"]),
            terms=tuple(d["terms"]),
            idf=_unb64(d["idf"], (n_feat,)),
            coef=_unb64(d["coef"], (n_cls, n_feat)),
            intercept=_unb64(d["intercept"], (n_cls,)),
            words=tuple(d["words"]),
            jieba=d["jieba"],
            labels=int(d["labels"]),
            macro_f1=d["macro_f1"],
        )

    @cached_property
    def segmenter(self) -> Segmenter:
        return Segmenter(self.words)

    @cached_property
    def _index(self) -> dict[str, int]:
        return {t: i for i, t in enumerate(self.terms)}

    def features(self, texts: Sequence[str]) -> sp.csr_matrix:
        """TF-IDF rows as scikit-learn's TfidfVectorizer(sublinear_tf=True) makes them."""
        # Imported here: scipy takes about 0.3 s to import, and a weekly report reaches
        # this module whether or not it has texts to classify.
        import scipy.sparse as sp

        get, seg = self._index.get, self.segmenter
        rows: list[int] = []
        cols: list[int] = []
        for r, text in enumerate(texts):
            ids = [i for i in map(get, seg(text or "")) if i is not None]
            cols.extend(ids)
            rows.extend([r] * len(ids))
        # Repeated (row, term) pairs are summed into counts by the conversion to CSR.
        x = sp.csr_matrix(
            (np.ones(len(cols)), (np.asarray(rows, np.int64), np.asarray(cols, np.int64))),
            shape=(len(texts), len(self.terms)),
        )
        x.sort_indices()
        x.data = np.log(x.data) + 1.0
        x = x @ sp.diags(self.idf)
        norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return sp.csr_matrix(sp.diags(1.0 / norms) @ x)

    def predict(self, texts: Sequence[str]) -> tuple[list[str | None], np.ndarray]:
        """Topic per text (None where the text has no known word) and the margin of the
        winning class over the runner-up."""
        x = self.features(texts)
        scores = np.asarray(x @ self.coef.T) + self.intercept
        best = scores.argmax(axis=1)
        top2 = np.sort(scores, axis=1)[:, -2:] if scores.shape[1] > 1 else scores
        margin = top2[:, -1] - top2[:, 0]
        known = np.diff(x.indptr) > 0
        topics = [self.classes[b] if k else None for b, k in zip(best, known, strict=True)]
        return topics, margin


def _fit(
    texts: Sequence[str], labels: Sequence[str], words: Sequence[str], seed: int
) -> tuple[Segmenter, Any, Any]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    seg = Segmenter(words)
    vec = TfidfVectorizer(
        analyzer=seg, sublinear_tf=True, min_df=2, max_features=MAX_FEATURES, dtype=np.float64
    )
    x = vec.fit_transform(texts)
    # The dual solver: several times faster here than the primal one (many more orders
    # than words per topic).
    clf = LinearSVC(C=0.5, class_weight="balanced", dual=True, max_iter=5000, random_state=seed)
    clf.fit(x, list(labels))
    return seg, vec, clf


def usable(labels: Sequence[str]) -> list[bool]:
    """Which labelled examples training uses: those of topics with MIN_PER_TOPIC or more
    examples (others stay with the keyword rules), OTHER excluded."""
    counts = Counter(labels)
    return [lab != OTHER and counts[lab] >= MIN_PER_TOPIC for lab in labels]


def train(
    texts: Sequence[str],
    labels: Sequence[str],
    words: Sequence[str] = (),
    *,
    macro_f1: float | None = None,
    seed: int = SEED,
) -> TopicModel:
    """Train on every usable labelled text. Raises TrainError when too few exist."""
    keep = usable(labels)
    texts = [t for t, k in zip(texts, keep, strict=True) if k]
    labels = [lab for lab, k in zip(labels, keep, strict=True) if k]
    if len(texts) < MIN_LABELS or len(set(labels)) < 2:
        raise TrainError(
            f"too few labelled work orders: {len(texts)} usable in {len(set(labels))} topic(s); "
            f"need at least {MIN_LABELS} in 2 or more topics (with {MIN_PER_TOPIC}+ each). "
            "The keyword rules stay in use; map more hotline categories to topics "
            "(pingjing topics categories) or import more orders"
        )
    _, vec, clf = _fit(texts, labels, words, seed)
    terms = [""] * len(vec.vocabulary_)
    for term, i in vec.vocabulary_.items():
        terms[i] = term
    coef = clf.coef_ if len(clf.classes_) > 2 else np.vstack([-clf.coef_[0], clf.coef_[0]])
    intercept = (
        clf.intercept_
        if len(clf.classes_) > 2
        else np.array([-clf.intercept_[0], clf.intercept_[0]])
    )
    model = TopicModel(
        classes=tuple(str(c) for c in clf.classes_),
        terms=tuple(terms),
        idf=vec.idf_,
        coef=coef,
        intercept=intercept,
        words=tuple(sorted(set(words))),
        jieba=jieba_version(),
        labels=len(texts),
        macro_f1=macro_f1,
    )
    # The stored form is the model: round-trip now so nothing uses unrounded weights.
    return TopicModel.from_json(model.to_json())


@dataclass(frozen=True)
class Evaluation:
    train_n: int
    test_n: int
    macro_f1: float  # the trained model on the held-out orders
    keyword_macro_f1: float  # the keyword rules on the same orders
    per_topic: list[tuple[str, float, float, float, int]]  # topic, precision, recall, f1, n
    train_s: float
    model: TopicModel


def split(labels: Sequence[str], seed: int = SEED) -> tuple[list[int], list[int]]:
    """Indices of a stratified train / held-out split (HELD_OUT of each topic)."""
    from sklearn.model_selection import train_test_split

    idx = list(range(len(labels)))
    a, b = train_test_split(idx, test_size=HELD_OUT, random_state=seed, stratify=list(labels))
    return sorted(a), sorted(b)


def evaluate(
    texts: Sequence[str],
    labels: Sequence[str],
    rules: KeywordRules,
    words: Sequence[str] = (),
    seed: int = SEED,
) -> Evaluation:
    """Train on a stratified 80% of the usable labelled orders and score the held-out 20%:
    macro-F1 of the model (with the keyword rules for texts it has no word of) and of the
    keyword rules alone."""
    from sklearn.metrics import f1_score, precision_recall_fscore_support

    keep = usable(labels)
    texts = [t for t, k in zip(texts, keep, strict=True) if k]
    labels = [lab for lab, k in zip(labels, keep, strict=True) if k]
    if len(texts) < MIN_LABELS / (1 - HELD_OUT):
        raise TrainError(
            f"too few labelled work orders to evaluate: {len(texts)} usable; need "
            f"{int(MIN_LABELS / (1 - HELD_OUT))}"
        )
    a, b = split(labels, seed)
    t0 = time.perf_counter()
    model = train([texts[i] for i in a], [labels[i] for i in a], words, seed=seed)
    train_s = time.perf_counter() - t0
    test_texts, truth = [texts[i] for i in b], [labels[i] for i in b]
    predicted = classify(test_texts, model, rules)[0]
    by_rules = rules.classify_many(test_texts)
    present = sorted(set(truth))
    p, r, f, n = precision_recall_fscore_support(truth, predicted, labels=present, zero_division=0)
    return Evaluation(
        train_n=len(a),
        test_n=len(b),
        macro_f1=float(f1_score(truth, predicted, labels=present, average="macro")),
        keyword_macro_f1=float(f1_score(truth, by_rules, labels=present, average="macro")),
        per_topic=[
            (t, float(pi), float(ri), float(fi), int(ni))
            for t, pi, ri, fi, ni in zip(present, p, r, f, n, strict=True)
        ],
        train_s=train_s,
        model=model,
    )


def classify(
    texts: Sequence[str], model: TopicModel | None, rules: KeywordRules
) -> tuple[list[str], list[str]]:
    """(topic, source) per text: the model's topic, or the keyword rules' where there is
    no model, the text has no word the model knows, or the model's topic has since been
    disabled ("keywords")."""
    if model is None:
        return rules.classify_many(texts), ["keywords"] * len(texts)
    predicted, _ = model.predict(texts)
    # A topic disabled since training is no longer given: the keyword rules decide.
    allowed = {*rules.codes, OTHER}
    topics, sources = [], []
    for text, topic in zip(texts, predicted, strict=True):
        if topic is None or topic not in allowed:
            topics.append(rules.classify(text))
            sources.append("keywords")
        else:
            topics.append(topic)
            sources.append("model")
    return topics, sources
