"""python caldav 3.6.0 (PyPI), unmodified, against the sandbox's CalDAV listener, as the Yandex 360
service-application guide uses it: `DAVClient(url, username=email, password=token)`, the
calendars found from the principal, an event with `X-TELEMOST-REQUIRED:TRUE` read back with its
Telemost link, a date-range search, an update with the ETag, sync tokens, deletion; the OAuth
header form; a calendar made and deleted (with the sandbox's `caldav_mkcalendar` setting).
Run by run-caldav.sh in a virtual environment."""

import datetime
import unittest

import caldav
from caldav.lib import error

import support

UID = "guide-meeting-1"
EVENT = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//diskbridge tests//EN\r\nBEGIN:VEVENT\r\n"
    "UID:%s\r\nDTSTAMP:20261101T000000Z\r\nDTSTART;TZID=Europe/Moscow:20261215T110000\r\n"
    "DTEND;TZID=Europe/Moscow:20261215T120000\r\nSUMMARY:Встреча с клиентом\r\n"
    "ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:maria.ivanova@sandbox-org.ru\r\n"
    "X-TELEMOST-REQUIRED:TRUE\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n" % UID
)


class CaldavTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        support.control("POST", "/reset")
        support.register_service_app()
        cls.url = support.listeners()["caldav"]
        cls.token = support.employee_token(support.IVAN)

    def client(self, **kwargs):
        client = caldav.DAVClient(url=self.url, **kwargs)
        self.addCleanup(client.close)
        return client

    def default_calendar(self, principal):
        calendars = principal.calendars()
        names = {c.get_display_name() for c in calendars}
        self.assertTrue({"Мои события", "Мой календарь", "Праздники", "Не забыть"} <= names, names)
        return next(c for c in calendars if str(c.url).endswith("/events-default/"))

    def test_the_guide_s_flow_with_a_telemost_meeting(self):
        principal = self.client(username=support.IVAN, password=self.token).principal()
        calendar = self.default_calendar(principal)
        calendar.add_event(EVENT)
        found = calendar.search(start=datetime.datetime(2026, 12, 1), end=datetime.datetime(2026, 12, 31), event=True)
        self.assertIn(UID, [str(e.icalendar_component["uid"]) for e in found])
        event = calendar.get_event_by_uid(UID)
        event.load()
        link = str(event.icalendar_component["x-telemost-conference"])
        self.assertRegex(link, r"^https://telemost\.yandex\.ru/j/\d{14}$")
        self.assertIn(link, str(event.icalendar_component["description"]))
        synced = calendar.objects_by_sync_token(load_objects=True)
        self.assertIn(UID, [str(o.icalendar_component["uid"]) for o in synced])
        event.icalendar_component["summary"] = "Встреча с клиентом (перенесена)"
        event.save()
        event.load()
        self.assertEqual(str(event.icalendar_component["summary"]), "Встреча с клиентом (перенесена)")
        self.assertEqual(str(event.icalendar_component["x-telemost-conference"]), link)
        updated, deleted = synced.sync()
        self.assertEqual(([str(o.icalendar_component["uid"]) for o in updated], list(deleted)), ([UID], []))
        event.delete()
        self.assertNotIn(UID, [str(e.icalendar_component["uid"]) for e in calendar.events()])

    def test_the_oauth_header_and_a_wrong_token(self):
        principal = self.client(headers={"Authorization": "OAuth " + self.token}).principal()
        self.default_calendar(principal)
        with self.assertRaises(error.AuthorizationError):
            self.client(username=support.IVAN, password="y0_wrong").principal()

    def test_a_calendar_made_and_deleted(self):
        support.control("POST", "/settings", {"caldav_mkcalendar": True})
        self.addCleanup(support.control, "POST", "/settings", {"caldav_mkcalendar": False})
        principal = self.client(username=support.IVAN, password=self.token).principal()
        made = principal.make_calendar(name="Работа", cal_id="work")
        made.add_event(EVENT.replace(UID, "in-work"))
        self.assertEqual(len(made.events()), 1)
        self.assertIn("Работа", [c.get_display_name() for c in principal.calendars()])
        made.delete()
        self.assertNotIn("Работа", [c.get_display_name() for c in principal.calendars()])


if __name__ == "__main__":
    unittest.main()
