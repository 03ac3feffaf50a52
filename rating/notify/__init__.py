"""Notifications to unit managers: WeCom/DingTalk robots and e-mail digests (issue 17)."""
