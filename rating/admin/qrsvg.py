"""A QR code as a small inline SVG (one path), from the badge printer's own encoder.

The kiosk page shows the one-time enrolment URL as a QR to scan with the tablet; the admin
pages' CSP allows no scripts and only our own images, and inline SVG markup needs neither.
"""

from __future__ import annotations

from markupsafe import Markup

from qr.encode import encode, with_quiet_zone


def qr_svg(data: str, title: str = "") -> Markup:
    """`data` as an SVG QR code (error correction M: the tablet scans it off a screen)."""
    modules = with_quiet_zone(encode(data, "M").modules)
    size = modules.shape[0]
    runs = []
    for y in range(size):
        x = 0
        while x < size:
            if modules[y, x]:
                start = x
                while x < size and modules[y, x]:
                    x += 1
                runs.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    label = Markup.escape(title)
    return Markup(  # noqa: S704 - numbers and the escaped title only
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" role="img" '
        f'aria-label="{label}" shape-rendering="crispEdges"><rect width="{size}" '
        f'height="{size}" fill="#fff"/><path fill="#000" d="{"".join(runs)}"/></svg>'
    )
