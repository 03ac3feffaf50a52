"""Names are text, never markup (issue 14, items 8 and 11): a unit named like matplotlib
mathtext renders as itself in the report's charts, and the HTML download carries a CSP."""

from __future__ import annotations

import html

from rating.store.models import RosterRow
from tests.admin.test_reports import URL, this_week
from tests.cases.helpers import add_user, bad_rating, login
from tests.conftest import ROSTER, Web

MATH = "$\\frac{a$分局"


async def test_mathtext_unit_name_renders_as_text_in_the_html_download(web: Web) -> None:
    unit = f"张家口市公安局/{MATH}/一所"
    await web.store.import_roster([*ROSTER, RosterRow(5, "100009", "$x^2$", unit, "police")])
    web.officers = await web.store.list_officers()
    await bad_rating(web, next(i for i, o in enumerate(web.officers) if o.badge_no == "100009"))
    await add_user(web, "admin1", "admin")
    await login(web, "admin1")
    r = await web.client.get(URL, params={"format": "html", "week": this_week()})
    assert r.status_code == 200, r.text[:500]
    assert html.escape(MATH) in r.text or MATH in r.text
    csp = r.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
