"""The audit page's notes (rating/admin/audit_page.py) in the page's language.

Each area writes its note in a fixed shape (`audit(..., note=...)` in that area's module:
`"{name} {role} {unit}"` for a user's access, `"#{id} {target}"` for a notification
target, ...). The stored rows are never rewritten: the page reads each shape back here
and words it from the `[auditlog_notes]` table of rating/locale/admin.toml, with role and
channel labels and a unit code shown as the unit's path. A note of any other shape (an old
row, a writer changed since) is shown as written, so every row still renders. Names,
aliases and what a person typed are kept as they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from rating.admin.render import fmt_ts
from rating.admin.texts import ROLE_LABELS
from rating.admin.texts_people import people_texts
from rating.cases.model import ROLES
from rating.i18n import table
from rating.workorders import CHANNEL_LABELS

_notes = table("admin.auditlog_notes")
_purge_texts = table("admin.auditlog_purge")

_ROLE = "|".join(re.escape(r) for r in ROLES)
_ID = r"#(?P<id>\d+)"
_RULE = r"(?P<channel>\S+) (?P<order_type>\S+) (?P<category>\S+)"

# action -> (shape of its note, key of the words in [auditlog_notes]); the first shape that
# matches the whole note wins. Actions in AS_WRITTEN store only a name, an alias or nothing.
SHAPES: dict[str, tuple[tuple[re.Pattern[str], str], ...]] = {
    action: tuple((re.compile(shape), key) for shape, key in shapes)
    for action, shapes in {
        # rating/admin/auth.add_user, rating/admin/access.change_access_tx (the unit as
        # given: a code or a path; none for the whole bureau)
        "user_add": ((rf"(?P<name>.+) (?P<role>{_ROLE})(?: (?P<unit>\S+))?", "user"),),
        "user_access": ((rf"(?P<name>.+) (?P<role>{_ROLE})(?: (?P<unit>\S+))?", "user"),),
        # rating/admin/auth.new_api_token, rating/admin/access.revoke_token_tx
        "token_add": ((r"(?P<name>\S+) (?P<label>.+)", "token"),),
        "token_revoke": ((r"(?P<name>\S+) (?P<label>.+)", "token"),),
        # rating/admin/auth.record_login
        "login_failed": ((r"attempt (?P<n>\d+)", "attempt"),),
        "lockout": ((r"attempt (?P<n>\d+)", "attempt"),),
        # rating/admin/kiosk_admin
        "kiosk_add": ((r"(?P<name>.+) (?P<unit>\S+)", "kiosk"),),
        "kiosk_pin": ((r"(?P<badge>\S+)", "badge"),),
        # rating/notify/store
        "notify_add": ((rf"{_ID} (?P<target>.+)", "target"),),
        "notify_edit": ((rf"{_ID} (?P<target>.+)", "target"),),
        "notify_enable": ((_ID, "target_id"),),
        "notify_disable": ((_ID, "target_id"),),
        "notify_test": ((rf"{_ID} ok", "test_ok"), (rf"{_ID} (?P<error>.+)", "test_failed")),
        "notify_retry": ((_ID, "retry_one"), (r"all", "retry_all")),
        # rating/admin/officer_admin
        "roster_import": (
            (r"(?P<new>\d+) new, (?P<updated>\d+) updated, (?P<retired>\d+) retired", "roster"),
        ),
        "officer_retire": ((r"(?P<badge>\S+)", "badge"),),
        "officer_reissue": ((r"(?P<badge>\S+)", "badge"),),
        "officer_move": ((r"(?P<badge>\S+) (?P<old>.+) -> (?P<new>.+)", "move"),),
        # rating/admin/unit_admin, rating/cases/deadlines
        "alias_add": ((r"(?P<alias>.+) -> (?P<path>.+)", "alias"),),
        "calendar": (
            (r"(?P<day>\d{4}-\d\d-\d\d) (?P<kind>holiday|workday)(?: (?P<note>.+))?", "day"),
            (r"year (?P<year>\d{4}) published(?: (?P<note>.+))?", "year"),
        ),
        # rating/supervisors/store
        "supervisor_add": ((rf"{_ID} (?P<name>.+) (?P<start>\S+)\.\.(?P<end>\S+)", "appoint"),),
        "supervisor_end": ((rf"{_ID} (?P<name>.+)", "supervisor"),),
        "supervisor_revoke": ((rf"{_ID} (?P<name>.+)", "supervisor"),),
        "supervisor_reissue": ((rf"{_ID} (?P<name>.+)", "supervisor"),),
        # rating/workorders/loop
        "workorder_rule_add": ((_RULE, "rule"),),
        "workorder_rule_remove": ((rf"{_ID} {_RULE}", "rule_removed"),),
        # rating/spotcheck/store
        "spotcheck_sample": ((r"day (?P<day>\S+)", "sample"),),
        "spotcheck_claim": ((r"spot-check (?P<id>\d+)", "task"),),
        "spotcheck_reveal_phone": ((r"spot-check (?P<id>\d+)", "task"),),
        "spotcheck_outcome": ((r"spot-check (?P<id>\d+)", "task"),),
    }.items()
}
AS_WRITTEN = frozenset(
    {"user_password", "user_disable", "user_unlock", "login", "login_locked",
     "kiosk_reenroll", "kiosk_revoke", "alias_remove"}
)  # fmt: skip


def _parse(action: str, note: str) -> tuple[str, dict[str, str]] | None:
    for shape, key in SHAPES.get(action, ()):
        found = shape.fullmatch(note)
        if found:
            return key, {k: v or "" for k, v in found.groupdict().items()}
    return None


def unit_refs(entries: Iterable[tuple[str, str]]) -> set[str]:
    """The units (codes or paths) that the (action, note) pairs name, to look up."""
    refs = set()
    for action, note in entries:
        parsed = _parse(action, note)
        if parsed and parsed[1].get("unit"):
            refs.add(parsed[1]["unit"])
    return refs


def _purge_note(note: str, lang: str) -> str:
    words = _purge_texts(lang)
    head, _, cutoff = note.partition(" before ")
    if head in words and cutoff.isdigit():
        return words[head].format(time=fmt_ts(int(cutoff)))
    word = words.get(note, note)
    return note if "{time}" in word else word


def entry_note(action: str, note: str, lang: str, units: Mapping[str, str] | None = None) -> str:
    """An entry's note as the page shows it in `lang`; `units` maps a unit code (or path)
    to its path (audit_log.unit_paths). A note of an unknown shape: as written."""
    if action == "purge":
        return _purge_note(note, lang)
    parsed = _parse(action, note)
    if parsed is None:
        return note
    key, f = parsed
    words = _notes(lang)
    if "role" in f:
        f["role"] = ROLE_LABELS(lang).get(f["role"], f["role"])
        unit = f.pop("unit")
        f["scope"] = (units or {}).get(unit, unit) if unit else people_texts(lang)["whole_bureau"]
    elif "unit" in f:
        f["unit"] = (units or {}).get(f["unit"], f["unit"])
    if "kind" in f:
        f["kind"] = people_texts(lang)[f["kind"]]
    if "note" in f:
        f["note"] = words["aside"].format(note=f["note"]) if f["note"] else ""
    if "channel" in f:
        f["channel"] = CHANNEL_LABELS(lang).get(f["channel"], f["channel"])
        for k in ("order_type", "category"):
            f[k] = words["any"] if f[k] == "*" else f[k]
    return words[key].format(**f)
