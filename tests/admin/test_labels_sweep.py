"""Codes shown as words in both languages: the audit notes the system writes ("评价 2 级",
"letter 咨询", deadline recomputations), the names of non-user actors, the dashboard's loop
steps, the work-order column profiles."""

from __future__ import annotations

import re

from rating.admin.texts import labels
from rating.admin.texts_audit import actor_name, audit_text
from rating.admin.texts_loop import source_labels
from tests.cases.helpers import add_user, bad_rating, case_id_of, login
from tests.conftest import Web


def _labels(lang: str) -> dict[str, object]:
    return {**labels(lang), "source_labels": source_labels(lang)}


def test_system_notes_read_as_words() -> None:
    zh, en = _labels("zh"), _labels("en")
    assert audit_text("open", "评价 2 级", zh, "：", "zh") == "评价：不满意"
    assert audit_text("open", "评价 2 级", en, ": ", "en") == "Rating: Dissatisfied"
    assert audit_text("reopen", "群众将评价改为 1 级", en, ": ", "en") == (
        "The citizen changed the rating to: Very dissatisfied"
    )
    assert audit_text("open", "letter 咨询", zh, "：", "zh") == "局长信箱：咨询"
    assert audit_text("open", "workorder 噪音扰民", en, ": ", "en") == (
        "Hotline work order: 噪音扰民"
    )
    deadline = "callback_due_at: 1764640800000 -> 1764727200000; callback_due_provisional: 1 -> 0"
    assert audit_text("deadline", deadline, en, ": ", "en") == (
        "Callback due: 2025-12-02 10:00 → 2025-12-03 10:00; Callback due provisional: yes → no"
    )
    assert "回访期限：" in audit_text("deadline", deadline, zh, "：", "zh")
    assert audit_text("deadline", "step_due_at: None -> 1764640800000", en, ": ", "en") == (
        "Step due: none → 2025-12-02 10:00"
    )
    # What a person typed stays as typed; the callback's outcome code is still a word.
    assert audit_text("close", "letter of thanks", en, ": ", "en") == "letter of thanks"
    assert audit_text("open", "评价很差", zh, "：", "zh") == "评价很差"
    assert audit_text("callback", "[reached] 已联系", en, ": ", "en") == "Reached: 已联系"
    assert actor_name("系统", "en") == "System" and actor_name("群众", "en") == "Citizen"
    assert actor_name("系统", "zh") == "系统" and actor_name("zhang", "en") == "zhang"


async def test_the_case_history_in_english_has_no_chinese_system_text(web: Web) -> None:
    case_id = case_id_of(web.svc.settings, await bad_rating(web, 0, level=1))
    await add_user(web, "chief", "admin")
    await login(web, "chief")
    en = (await web.client.get(f"/admin/cases/{case_id}?lang=en")).text
    history = en.split('class="list stack audit"')[1].split("</table>")[0]
    assert "Rating: Very dissatisfied" in history and ">System<" in history
    assert "评价" not in history and "系统" not in history
    zh = (await web.client.get(f"/admin/cases/{case_id}?lang=zh")).text
    assert "评价：非常不满意" in zh


async def test_the_dashboard_names_the_loop_steps(web: Web) -> None:
    from tests.mailbox.test_mailbox_web import letter_form, post

    assert (await post(web, letter_form(web))).status_code in (200, 303)
    await add_user(web, "chief", "admin")
    await login(web, "chief")
    for lang, word in (("zh", "受理"), ("en", "Acceptance")):
        page = (await web.client.get(f"/admin?lang={lang}")).text
        steps = re.findall(r'<th scope="row" data-label="[^"]*">([^<]*)</th>', page)
        assert word in steps and "accept" not in steps, steps


async def test_work_order_profiles_by_name_not_code(web: Web) -> None:
    await add_user(web, "chief", "admin")
    await login(web, "chief")
    for lang, word in (("zh", ">阳光理政"), ("en", ">Sunshine Governance platform<")):
        page = (await web.client.get(f"/admin/workorders?lang={lang}")).text
        select = page.split('name="profile"')[1].split("</select>")[0]
        assert word in select and "sunshine ·" not in select and "other ·" not in select
