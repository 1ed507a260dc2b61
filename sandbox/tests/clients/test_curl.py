"""curl, unmodified, against the sandbox's IMAP, SMTP and CalDAV listeners: XOAUTH2 through
`--oauth2-bearer` (curl picks the mechanism from the capabilities), folder listing, a message
by UID in a Cyrillic folder, SEARCH, sending with an envelope the user owns and one it does not,
and the CalDAV requests a CalDAV client makes (PROPFIND, PUT with a Telemost request, GET,
REPORT) — the fallback for python caldav where it cannot be installed."""

import re
import subprocess
import unittest

import support

MAX_TIME = "30"


def curl(*args, data=None):
    """(exit code, stdout bytes, stderr text) of curl with `args`."""
    result = subprocess.run(
        ["curl", "--silent", "--show-error", "--max-time", MAX_TIME, *args],
        input=data,
        capture_output=True,
        check=False,
    )
    return result.returncode, result.stdout, result.stderr.decode(errors="replace")


class CurlTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        version = subprocess.run(["curl", "--version"], capture_output=True, text=True, check=True).stdout
        protocols = re.search(r"^Protocols: (.*)$", version, re.M).group(1).split()
        for needed in ("imap", "smtp", "http"):
            assert needed in protocols, "this curl cannot speak %s: %s" % (needed, version)
        support.control("POST", "/reset")
        support.register_service_app()
        cls.listeners = support.listeners()
        cls.token = support.employee_token(support.IVAN)

    def imap(self, path, *extra, token=None):
        url = "imap://%s/%s" % (self.listeners["imap"], path)
        return curl(url, "--user", support.IVAN + ":", "--oauth2-bearer", token or self.token, *extra)

    def test_imap_lists_fetches_and_searches(self):
        code, out, err = self.imap("")
        self.assertEqual(code, 0, err)
        self.assertIn(b'* LIST (\\Unmarked \\HasNoChildren \\Sent) "|" "&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-"', out)
        code, out, err = self.imap("INBOX;UID=101")
        self.assertEqual(code, 0, err)
        _, _, raw = support.request("GET", "/_sandbox/mail/message?user=%s&folder=INBOX&uid=101" % support.IVAN)
        self.assertEqual(out, raw)
        code, out, err = self.imap("INBOX?UNSEEN")
        self.assertEqual((code, out.strip()), (0, b"* SEARCH 3 4"), err)
        code, out, err = self.imap("%26BCEEPwQwBDw-;UID=1")
        self.assertEqual(code, 0, err)
        self.assertIn(b"Subject: You have won", out)

    def test_imap_refuses_a_wrong_token(self):
        code, _, err = self.imap("", token="y0_wrong")
        self.assertEqual(code, 67, err)  # CURLE_LOGIN_DENIED
        self.assertNotIn(self.token, err)

    def smtp(self, sender, message, *extra):
        url = "smtp://%s" % self.listeners["smtp"]
        return curl(
            url, "--mail-from", sender, "--mail-rcpt", support.MARIA, "--upload-file", "-",
            "--user", support.IVAN + ":", "--oauth2-bearer", self.token, *extra, data=message,
        )

    def test_smtp_sends_and_refuses_a_foreign_sender(self):
        message = b"From: ivan.petrov@sandbox-org.ru\r\nTo: maria.ivanova@sandbox-org.ru\r\nSubject: via curl\r\n\r\nHello from curl.\r\n"
        code, _, err = self.smtp(support.IVAN, message)
        self.assertEqual(code, 0, err)
        inbox = support.control("GET", "/mail/messages?user=%s&folder=INBOX" % support.MARIA)["messages"]
        _, _, raw = support.request("GET", "/_sandbox/mail/message?user=%s&folder=INBOX&uid=%d" % (support.MARIA, inbox[-1]["uid"]))
        self.assertTrue(raw.endswith(message), raw)
        code, _, err = self.smtp(support.OWNER, message, "--verbose")
        self.assertNotEqual(code, 0)
        self.assertIn("553 5.7.1 Sender address rejected: not owned by auth user.", err)

    def caldav(self, method, path, body=None, *headers):
        url = self.listeners["caldav"].rstrip("/") + path
        args = [url, "--request", method, "--user", "%s:%s" % (support.IVAN, self.token), "--include"]
        for header in headers:
            args += ["--header", header]
        if body is not None:
            args += ["--data-binary", "@-"]
        code, out, err = curl(*args, data=body.encode() if body is not None else None)
        self.assertEqual(code, 0, err)
        head, _, content = out.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        return status, head.decode(), content.decode()

    def test_caldav_discovery_write_and_query(self):
        home = "/calendars/ivan.petrov%40sandbox-org.ru/"
        status, _, body = self.caldav(
            "PROPFIND", "/", '<D:propfind xmlns:D="DAV:"><D:prop><D:current-user-principal/></D:prop></D:propfind>', "Depth: 0", "Content-Type: text/xml"
        )
        self.assertEqual(status, 207)
        self.assertIn("/principals/users/ivan.petrov%40sandbox-org.ru/", body)
        status, _, body = self.caldav("PROPFIND", home, "", "Depth: 1")
        self.assertIn("<D:displayname>Мои события</D:displayname>", body)
        event = (
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//curl//EN\r\nBEGIN:VEVENT\r\nUID:curl-meeting\r\n"
            "DTSTAMP:20261101T000000Z\r\nDTSTART:20261210T090000Z\r\nDTEND:20261210T100000Z\r\nSUMMARY:From curl\r\n"
            "X-TELEMOST-REQUIRED:TRUE\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        )
        path = home + "events-default/curl-meeting.ics"
        status, head, _ = self.caldav("PUT", path, event, "Content-Type: text/calendar; charset=utf-8")
        self.assertEqual(status, 201)
        self.assertNotIn("etag", head.lower())
        status, head, body = self.caldav("GET", path)
        self.assertEqual(status, 200)
        self.assertRegex(body, r"X-TELEMOST-CONFERENCE:https://telemost\.yandex\.ru/j/\d{14}\r\n")
        query = (
            '<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop>'
            '<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">'
            '<C:time-range start="20261209T000000Z" end="20261211T000000Z"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>'
        )
        status, _, body = self.caldav("REPORT", home + "events-default/", query, "Depth: 1", "Content-Type: text/xml")
        self.assertEqual(status, 207)
        self.assertIn("SUMMARY:From curl", body)


if __name__ == "__main__":
    unittest.main()
