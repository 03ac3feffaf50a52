"""Spot-check callbacks (抽查回访): a daily random sample of satisfied ratings with a phone
and of closed cases, called back by the centre to confirm the rating (issue 19)."""
