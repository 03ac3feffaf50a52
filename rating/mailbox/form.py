"""Checking a letter form (multipart, or urlencoded without photos) field by field.

Every refusal is a `LetterRefused` naming its field and carrying the HTTP status, so the
page can show the message beside that field with what the person typed still in it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from rating.crypto import Keys, normalize_phone
from rating.mailbox.models import MAX_PHOTOS, MAX_TEXT, Photo
from rating.mailbox.photos import PhotoRefused, clean_photo
from rating.mailbox.service import LetterInput
from rating.textcheck import text_problem

FIELDS = {"t", "lang", "website", "category", "text", "phone", "consent", "photos"}
# Instances behind one load balancer may disagree on the time by a little.
CLOCK_SKEW_MS = 60_000


class LetterRefused(Exception):
    def __init__(self, field: str, status: int, en: str, zh: str) -> None:
        super().__init__(f"{field}: {en}")
        self.field = field
        self.status = status
        self.en = en
        self.zh = zh

    def message(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class Kept:
    """What the person typed, put back into the refused form (photos cannot be)."""

    category: str = ""
    text: str = ""
    phone: str = ""
    consent: bool = False
    errors: dict[str, str] = field(default_factory=dict)


def refusal_notice(
    exc: LetterRefused, lang: str, m: Mapping[str, str], beside: Collection[str], photos: bool
) -> str:
    """The notice above a refused photo form (the mailbox's and the supervisors'): "fix",
    with the message itself unless the page shows it beside its field (`beside`), and a
    reminder to choose the photos again when some were sent (`photos`) and the refusal is
    not about them. `m`: the page's texts in `lang`."""
    notice = m["fix"] if exc.field in beside else f"{m['fix']} {exc.message(lang)}"
    if photos and exc.field != "photos":
        notice += " " + m["photos_again"]
    return notice


def stamp_token(unit_token: str | None) -> str:
    """What a mailbox form stamp is bound to: the bureau's box or one unit's."""
    return "mailbox" if unit_token is None else f"mailbox:{unit_token}"


def kept_from(values: dict[str, str], errors: dict[str, str]) -> Kept:
    return Kept(
        category=values.get("category", "")[:40],
        # A refused text is put back even if too long, so the person can shorten it.
        text=values.get("text", "")[: MAX_TEXT * 2],
        phone=values.get("phone", "")[:40],
        consent=values.get("consent", "") in ("1", "on", "true", "yes"),
        errors=errors,
    )


def form_text(values: dict[str, str], name: str) -> str:
    """A form field's text, refused naming the field when it is not valid Unicode (lone
    surrogates, NUL): the mailbox's and the supervisors' forms."""
    value = values.get(name, "")
    problem = text_problem(value)
    if problem is not None:
        raise LetterRefused(
            name,
            400,
            f"{name} is not valid Unicode text ({problem})",
            "含有无效的字符" if problem != "NUL" else "含有不允许的空字符",
        )
    return value


def known_fields(values: dict[str, str], fields: set[str]) -> None:
    """Refuse a field the form does not have (the first one, naming it)."""
    for name in values:
        if name not in fields:
            raise LetterRefused(name, 400, f"unknown field {name!r}", f"未知字段 {name!r}")


def form_lang(values: dict[str, str]) -> str:
    """The form's language, "zh" by default."""
    lang = values.get("lang", "zh")
    if lang not in ("zh", "en"):
        raise LetterRefused("lang", 400, "lang must be 'zh' or 'en'", "语言只能是 zh 或 en")
    return lang


def fresh_stamp(
    values: dict[str, str], keys: Keys, stamp_for: str, now_ms: int, max_age_ms: int
) -> str:
    """The form stamp `t`: signed for `stamp_for`, issued at most `max_age_ms` ago (and
    not after now, give or take CLOCK_SKEW_MS), else refused as an expired page."""
    stamp = form_text(values, "t")
    issued = keys.stamp_time(stamp, stamp_for) if stamp else None
    if issued is None or issued - now_ms > CLOCK_SKEW_MS or now_ms - issued > max_age_ms:
        raise LetterRefused(
            "t", 400, "the page has expired; please send again", "页面已过期，请再次提交"
        )
    return stamp


def textarea_text(values: dict[str, str], name: str) -> str:
    """A textarea's text as stored, stripped. Browsers send its line breaks as CR LF but
    count them once against maxlength, so count (and store) them as one character too."""
    return form_text(values, name).replace("\r\n", "\n").replace("\r", "\n").strip()


def required_textarea(
    values: dict[str, str], name: str, most: int, *, empty: tuple[str, str], counted: str
) -> str:
    """A textarea's text (`textarea_text`) that must be there and hold at most `most`
    characters, else refused naming the field: `empty` (English, Chinese) when there is none,
    a count begun with `counted` in English when too long (the mailbox's and the
    supervisors' forms)."""
    body = textarea_text(values, name)
    if not body:
        raise LetterRefused(name, 400, *empty)
    if len(body) > most:
        raise LetterRefused(
            name,
            400,
            f"{counted} {len(body)} characters; at most {most}",
            f"内容共 {len(body)} 字，最多 {most} 字",
        )
    return body


def check_letter(
    values: dict[str, str],
    uploads: Sequence[bytes],
    categories: Sequence[str] | None,
    keys: Keys,
    *,
    stamp_for: str,
    max_age_ms: int,
    now_ms: int,
) -> LetterInput:
    """The checked letter, or LetterRefused for the first bad field (in form order, photos
    last since they cost the most to check). `categories` None: the category is checked
    only by the letter's transaction (mailbox/store.insert_letter), as it always is too."""
    known_fields(values, FIELDS)
    if values.get("website", ""):
        # The honeypot is hidden from people; only form-filling robots fill it.
        raise LetterRefused(
            "website", 400, "rejected as automated submission", "提交被识别为自动程序"
        )
    lang = form_lang(values)
    stamp = fresh_stamp(values, keys, stamp_for, now_ms, max_age_ms)
    category = form_text(values, "category")
    if not category or (categories is not None and category not in categories):
        raise LetterRefused(
            "category", 400, "choose a category from the list", "请从列表中选择类别"
        )
    body = required_textarea(
        values,
        "text",
        MAX_TEXT,
        empty=("the letter is empty", "请填写信件内容"),
        counted="the letter is",
    )
    phone: str | None = None
    phone_raw = form_text(values, "phone").strip()
    consent = values.get("consent", "") in ("1", "on", "true", "yes")
    if phone_raw:
        # NFKC: the full-width digits of Chinese input methods.
        phone = normalize_phone(unicodedata.normalize("NFKC", phone_raw))
        if phone is None or not phone.isascii():
            raise LetterRefused(
                "phone",
                400,
                "phone is not a valid mainland mobile or landline number",
                "手机号格式不正确（应为11位手机号或带区号的固定电话）",
            )
        if not consent:
            raise LetterRefused(
                "consent",
                400,
                "tick the consent box to leave a phone number",
                "留下电话需勾选同意联系",
            )
    return LetterInput(category, body, phone, consent, lang, stamp, checked_photos(uploads))


def checked_photos(uploads: Sequence[bytes]) -> tuple[Photo, ...]:
    """The uploaded photos re-encoded (EXIF gone), or LetterRefused naming "photos": too
    many, or one that is not a real image (the mailbox's and the supervisors' forms)."""
    if len(uploads) > MAX_PHOTOS:
        raise LetterRefused(
            "photos",
            400,
            f"{len(uploads)} photos; at most {MAX_PHOTOS}",
            f"共 {len(uploads)} 张照片，最多 {MAX_PHOTOS} 张",
        )
    photos = []
    for n, raw in enumerate(uploads, start=1):
        try:
            photos.append(clean_photo(raw, n))
        except PhotoRefused as exc:
            raise LetterRefused("photos", exc.status, exc.en, exc.zh) from None
    return tuple(photos)
