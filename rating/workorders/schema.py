"""The normalized work-order schema: fields, their kinds and the value vocabularies.

Profiles map each channel's Chinese column names onto these fields; docs/import-formats.md
documents them. Enumerated fields store short English codes so the weekly report does not
depend on how a hotline happened to spell 基本满意 this year.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

Kind = Literal["text", "time", "enum", "unit", "badge", "phone"]


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind
    label: str  # Chinese label used in messages when the file's own header is not known
    required: bool = False


FIELDS: tuple[Field, ...] = (
    Field("order_no", "text", "工单编号", required=True),
    Field("received_at", "time", "受理时间", required=True),
    Field("order_type", "enum", "诉求类型"),
    Field("category", "text", "诉求分类"),
    Field("content", "text", "诉求内容"),
    Field("unit", "unit", "承办单位"),
    Field("badge_no", "badge", "涉及民警警号"),
    Field("dispatched_at", "time", "派单时间"),
    Field("due_at", "time", "办理时限"),
    Field("closed_at", "time", "办结时间"),
    Field("resolution", "enum", "解决情况"),
    Field("callback_at", "time", "回访时间"),
    Field("callback_outcome", "enum", "回访结果"),
    Field("satisfaction", "enum", "满意度"),
    Field("verification", "enum", "核实结论"),
    Field("rectification", "enum", "整改状态"),
    Field("rectified_at", "time", "整改完成时间"),
    Field("caller_phone", "phone", "来电号码"),
)
FIELD_BY_NAME = MappingProxyType({f.name: f for f in FIELDS})

# Database columns each field fills, in order (unit_id and officer_id are matched in the
# store, not read from the file).
DB_COLUMNS: MappingProxyType[str, tuple[str, ...]] = MappingProxyType(
    {
        **{f.name: (f.name,) for f in FIELDS},
        "unit": ("unit_name",),
        "caller_phone": ("phone_enc", "phone_hash", "phone_mask"),
    }
)

# Codes of every enumerated field, and the spellings understood without any profile.
# A profile's [values.<field>] table adds spellings or overrides these; a spelling mapped
# to "" means "no value" (for example 未回访: not called back yet).
CODES: MappingProxyType[str, tuple[str, ...]] = MappingProxyType(
    {
        "order_type": (
            "complaint",
            "report",
            "consultation",
            "help",
            "suggestion",
            "praise",
            "other",
        ),
        "resolution": ("resolved", "partly_resolved", "unresolved", "answered"),
        "callback_outcome": ("reached", "unreachable", "declined"),
        "satisfaction": ("satisfied", "basically_satisfied", "dissatisfied"),
        "verification": (
            "substantiated",
            "partly_substantiated",
            "unsubstantiated",
            "unverifiable",
        ),
        "rectification": ("not_required", "pending", "in_progress", "done"),
    }
)

# Codes renamed since profiles were first written, old -> new: a file or a profile that
# uses the old code still means the same answer (`refused` is `declined`, the cases' word).
RENAMED_CODES: MappingProxyType[str, MappingProxyType[str, str]] = MappingProxyType(
    {"callback_outcome": MappingProxyType({"refused": "declined"})}
)
DEFAULT_VALUES: MappingProxyType[str, MappingProxyType[str, str]] = MappingProxyType(
    {
        name: MappingProxyType(mapping)
        for name, mapping in {
            "order_type": {
                "投诉": "complaint",
                "举报": "report",
                "咨询": "consultation",
                "求助": "help",
                "建议": "suggestion",
                "意见建议": "suggestion",
                "表扬": "praise",
                "感谢": "praise",
                "表扬感谢": "praise",
                "其他": "other",
            },
            "resolution": {
                "已解决": "resolved",
                "解决": "resolved",
                "部分解决": "partly_resolved",
                "基本解决": "partly_resolved",
                "未解决": "unresolved",
                "已答复": "answered",
                "已解释": "answered",
                "解释说明": "answered",
            },
            "callback_outcome": {
                "已回访": "reached",
                "回访成功": "reached",
                "已联系": "reached",
                "联系成功": "reached",
                "无法联系": "unreachable",
                "联系不上": "unreachable",
                "未接通": "unreachable",
                "无人接听": "unreachable",
                "空号": "unreachable",
                "关机": "unreachable",
                "拒绝回访": "declined",
                "拒访": "declined",
                "未回访": "",
                "待回访": "",
            },
            "satisfaction": {
                "满意": "satisfied",
                "非常满意": "satisfied",
                "比较满意": "satisfied",
                "基本满意": "basically_satisfied",
                "一般": "basically_satisfied",
                "不满意": "dissatisfied",
                "非常不满意": "dissatisfied",
            },
            "verification": {
                "属实": "substantiated",
                "部分属实": "partly_substantiated",
                "不属实": "unsubstantiated",
                "查无实据": "unsubstantiated",
                "失实": "unsubstantiated",
                "无法核实": "unverifiable",
                "无法查实": "unverifiable",
                "核实中": "",
                "待核实": "",
            },
            "rectification": {
                "无需整改": "not_required",
                "不需整改": "not_required",
                "待整改": "pending",
                "未整改": "pending",
                "整改中": "in_progress",
                "正在整改": "in_progress",
                "已整改": "done",
                "整改完成": "done",
                "已完成整改": "done",
            },
        }.items()
    }
)
