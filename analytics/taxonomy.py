"""The topic taxonomy (一键分析): topics with keywords, and the keyword rules built from them.

The bureau edits the taxonomy (`pingjing topics add|set|disable`); it lives in the database
(table `topics`, migration 0015) and starts as DEFAULT_TOPICS. The keyword rules are the
fallback classifier when too few labelled work orders exist to train a model, and they map
a hotline's own category names (户政管理, 出入境管理, …) to topics.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

OTHER = "other"  # the topic of a text no rule and no model places elsewhere


@dataclass(frozen=True)
class Topic:
    code: str  # stable ASCII code (stored with every assignment)
    name: str  # what the report shows
    keywords: tuple[str, ...]
    active: bool = True


# Codes are stable; names and keywords are the bureau's to edit. The order is the
# tie-break of the keyword rules (more specific topics before general ones).
DEFAULT_TOPICS: tuple[Topic, ...] = (
    Topic("integrity", "廉洁", ("吃拿卡要", "红包", "好处费", "索要", "收受", "送礼", "廉政")),
    Topic(
        "law_enforcement",
        "执法规范",
        ("执法", "粗暴", "不出示证件", "执法记录仪", "不立案", "推搡", "辱骂", "执法规范"),
    ),
    Topic("fraud", "诈骗", ("诈骗", "被骗", "骗子", "刷单", "冒充", "转账", "反诈")),
    Topic(
        "household",
        "户籍",
        ("户口", "户籍", "落户", "迁入", "迁出", "身份证", "居住证", "户政", "分户"),
    ),
    Topic("exit_entry", "出入境", ("护照", "通行证", "签注", "出入境", "签证")),
    Topic(
        "traffic_violation",
        "交通违法处理",
        ("违章", "罚款", "扣分", "电子眼", "违停", "贴条", "交通违法", "抄牌"),
    ),
    Topic(
        "vehicle_license",
        "车驾管",
        (
            "驾驶证",
            "驾照",
            "行驶证",
            "年检",
            "车管所",
            "科目",
            "上牌",
            "过户",
            "车驾管",
            "驾考",
            "机动车",
        ),
    ),
    Topic("ebike", "电动车管理", ("电动车", "电瓶车", "头盔", "非机动车")),
    Topic(
        "traffic_order",
        "交通秩序",
        ("堵车", "拥堵", "红绿灯", "信号灯", "乱停", "占道", "交通秩序"),
    ),
    Topic("noise", "噪音扰民", ("噪音", "扰民", "广场舞", "吵闹", "噪声", "喇叭", "夜间施工")),
    Topic(
        "public_order",
        "治安",
        ("打架", "斗殴", "盗窃", "被偷", "赌博", "寻衅滋事", "治安", "小偷"),
    ),
    Topic("response", "接处警", ("出警", "报警", "110", "到场", "接警", "处警")),
    Topic("case_progress", "案件办理", ("立案", "案件", "受案", "回执", "侦查", "追回", "结案")),
    Topic("dispute", "纠纷调解", ("纠纷", "调解", "欠款", "邻里", "矛盾", "讨薪")),
    Topic("privacy", "个人信息保护", ("泄露", "个人信息", "隐私", "骚扰电话")),
    Topic(
        "facilities",
        "办事环境",
        ("大厅", "空调", "座位", "停车位", "卫生间", "自助机", "叫号机", "环境", "设施"),
    ),
    Topic(
        "consultation",
        "咨询答复",
        ("咨询", "打不通", "无人接听", "政策", "答复", "解答", "告知"),
    ),
    Topic(
        "efficiency",
        "办事效率",
        ("排队", "效率", "太慢", "拖延", "跑了几趟", "多次往返", "迟迟", "等了", "办结"),
    ),
    Topic(
        "attitude",
        "服务态度",
        ("态度", "生硬", "冷漠", "不耐烦", "推诿", "训斥", "脸色", "爱答不理", "语气", "作风"),
    ),
    Topic(
        "praise",
        "表扬感谢",
        ("感谢", "表扬", "锦旗", "点赞", "热情", "耐心", "尽职", "辛苦", "态度很好", "态度好"),
    ),
    Topic(OTHER, "其他", ()),
)

_CODE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
MAX_KEYWORD = 20


class TaxonomyError(ValueError):
    """An edit the taxonomy cannot take; the message names the field."""


def check_code(code: str) -> str:
    if not _CODE.match(code):
        raise TaxonomyError(
            f"topic code {code!r}: lower-case ASCII letters, digits and _, starting with a letter"
        )
    return code


def parse_keywords(text: str) -> tuple[str, ...]:
    """Keywords as typed: separated by commas (ASCII or Chinese), 、 or spaces; duplicates
    dropped, order kept."""
    parts = re.split(r"[,，、;；\s]+", text)
    out: list[str] = []
    for p in parts:
        word = p.strip()
        if not word:
            continue
        if len(word) > MAX_KEYWORD:
            raise TaxonomyError(f"keyword {word!r} is longer than {MAX_KEYWORD} characters")
        if word not in out:
            out.append(word)
    return tuple(out)


class KeywordRules:
    """The taxonomy's keywords as one classifier: a text goes to the topic with the most
    keyword hits (a hit weighs its keyword's length, so 交通违法 outweighs 违法); ties go
    to the topic listed first; no hit gives OTHER."""

    def __init__(self, topics: Sequence[Topic]) -> None:
        active = [t for t in topics if t.active and t.code != OTHER]
        self.codes = [t.code for t in active]
        self.owner: dict[str, list[int]] = {}
        for i, t in enumerate(active):
            for word in t.keywords:
                self.owner.setdefault(word, []).append(i)
        words = sorted(self.owner, key=lambda w: (-len(w), w))
        # Longest first, so the alternation prefers 交通违法 over a shorter overlap.
        self.pattern = re.compile("|".join(re.escape(w) for w in words)) if words else None

    @property
    def keywords(self) -> list[str]:
        return list(self.owner)

    def scores(self, text: str) -> np.ndarray:
        out = np.zeros(len(self.codes))
        if self.pattern is None or not text:
            return out
        for hit in self.pattern.findall(text):
            for i in self.owner[hit]:
                out[i] += len(hit)
        return out

    def classify(self, text: str) -> str:
        s = self.scores(text)
        if not s.size or s.max() <= 0:
            return OTHER
        return self.codes[int(np.argmax(s))]  # argmax: the first of equal scores

    def classify_many(self, texts: Iterable[str]) -> list[str]:
        return [self.classify(t) for t in texts]
