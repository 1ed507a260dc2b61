"""Yandex Calendar against the sandbox's CalDAV listener, which the `sandbox` option finds by
itself: an event with a Telemost meeting, created and read back in its time range."""

from __future__ import annotations

import unittest

from support import SandboxTestCase, diskbridge


class CalendarTest(SandboxTestCase):
    def test_an_event_with_a_telemost_link_is_found_in_its_range(self) -> None:
        token = self.sign_in()["access_token"]
        calendar = self.client.yandex_calendar
        made = calendar.create_event(
            token=token,
            summary="Планёрка",
            start="2026-12-10T10:00",
            timezone="Europe/Moscow",
            telemost=True,
        )
        self.assertTrue(made["telemost_link"].startswith("https://telemost.yandex.ru/j/"), made)
        found = calendar.get_events(token=token, from_="2026-12-10", to="2026-12-11")
        self.assertIn(made["uid"], [event["uid"] for event in found["events"]])
        with self.assertRaises(diskbridge.Error) as refused:
            calendar.update_event(token=token, href=made["href"], etag="1", summary="stale")
        self.assertEqual(refused.exception.code, "conflict")


if __name__ == "__main__":
    unittest.main()
