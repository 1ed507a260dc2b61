"""CPython's imaplib, unmodified, against the sandbox's IMAP listener (docs/protocols-mail.md §2.9):
XOAUTH2 through authenticate(), LIST with modified UTF-7 and a literal, STATUS, EXAMINE, UID
SEARCH/FETCH, changes with a full token and refusals with a read-only one, and a 10,000-message
folder fetched in batches (figures printed, nothing timed)."""

import base64
import hashlib
import imaplib
import re
import sys
import time
import unittest

import support


def decode_mutf7(name):
    """Modified UTF-7 to text, the usual way: it is UTF-7 with `&` for `+` and `,` for `/`."""
    out = []
    for part in re.split(r"(&[^-]*-)", name):
        if part == "&-":
            out.append("&")
        elif part.startswith("&") and part.endswith("-"):
            out.append(("+" + part[1:-1].replace(",", "/") + "-").encode().decode("utf-7"))
        else:
            out.append(part)
    return "".join(out)


def encode_mutf7(name):
    """Text to modified UTF-7 (RFC 3501 §5.1.3)."""
    out, run = [], []

    def flush():
        if run:
            encoded = base64.b64encode("".join(run).encode("utf-16-be")).decode().rstrip("=")
            out.append("&" + encoded.replace("/", ",") + "-")
            run.clear()

    for ch in name:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            run.append(ch)
    flush()
    return "".join(out)


def close_quietly(imap):
    try:
        imap.shutdown()
    except OSError:
        pass


def folder_names(listing):
    """The names of LIST answers as imaplib returns them (a literal comes as a tuple)."""
    names = []
    for item in listing:
        if isinstance(item, tuple):
            names.append(decode_mutf7(item[1].decode()))
        elif item:
            name = item.decode().split(' "|" ', 1)[1]
            names.append(decode_mutf7(name.strip('"')))
    return names


class ImaplibTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        support.control("POST", "/reset")
        support.register_service_app()
        cls.host, cls.port = support.host_port(support.listeners()["imap"])

    def login(self, email, token):
        imap = imaplib.IMAP4(self.host, self.port)
        self.addCleanup(close_quietly, imap)
        imap.authenticate("XOAUTH2", lambda _: support.xoauth2(email, token).encode())
        return imap

    def test_a_wrong_token_is_refused_with_yandex_s_text(self):
        imap = imaplib.IMAP4(self.host, self.port)
        self.addCleanup(close_quietly, imap)
        with self.assertRaises(imaplib.IMAP4.error) as refused:
            imap.authenticate("XOAUTH2", lambda _: support.xoauth2(support.IVAN, "y0_wrong").encode())
        self.assertIn("[AUTHENTICATIONFAILED] AUTHENTICATE Invalid credentials or IMAP is disabled sc=", str(refused.exception))

    def test_folders_counts_and_messages(self):
        imap = self.login(support.IVAN, support.employee_token(support.IVAN))
        typ, listing = imap.list()
        self.assertEqual(typ, "OK")
        names = folder_names(listing)
        for name in ["INBOX", "Отправленные", "Спам", "Удаленные", "Черновики", "Archives|2017", "Проекты|Альфа", 'Отчёты "2026"']:
            self.assertIn(name, names)
        typ, status = imap.status("INBOX", "(MESSAGES UIDNEXT UIDVALIDITY UNSEEN)")
        self.assertEqual(status, [b"INBOX (MESSAGES 4 UIDNEXT 105 UIDVALIDITY 1600000000 UNSEEN 2)"])
        self.assertEqual(imap.select('"%s"' % encode_mutf7("Отправленные"), readonly=True), ("OK", [b"1"]))
        self.assertEqual(imap.select("INBOX", readonly=True), ("OK", [b"4"]))
        self.assertEqual(imap.response("UIDVALIDITY"), ("UIDVALIDITY", [b"1600000000"]))
        self.assertEqual(imap.uid("SEARCH", "UID 101:*"), ("OK", [b"101 102 103 104"]))
        typ, listing = imap.uid("FETCH", "101:*", "(UID RFC822.SIZE INTERNALDATE FLAGS)")
        self.assertEqual(len(listing), 4)
        sizes = {int(m.group(1)): int(m.group(2)) for m in (re.search(rb"UID (\d+) RFC822.SIZE (\d+)", x) for x in listing)}
        for uid, size in sizes.items():
            typ, data = imap.uid("FETCH", str(uid), "(BODY.PEEK[])")
            self.assertEqual(len(data[0][1]), size)
            _, _, raw = support.request("GET", "/_sandbox/mail/message?user=%s&folder=INBOX&uid=%d" % (support.IVAN, uid))
            self.assertEqual(data[0][1], raw)
        self.assertEqual(imap.logout()[0], "BYE")

    def test_changes_need_the_full_scope(self):
        read_only = self.login(support.MARIA, support.employee_token(support.MARIA, "mail:imap_ro"))
        # The folder opens read-only for such a token, which imaplib reports when asked for more.
        with self.assertRaises(imaplib.IMAP4.readonly):
            read_only.select("INBOX")
        self.assertEqual(read_only.select("INBOX", readonly=True), ("OK", [b"4"]))
        self.assertEqual(read_only.uid("STORE", "101", "+FLAGS", "(\\Deleted)"), ("NO", [b"[NOPERM] UID STORE Access denied"]))
        self.assertEqual(read_only.expunge()[0], "NO")
        self.assertEqual(read_only.append("INBOX", None, None, b"Subject: x\r\n\r\nx\r\n")[0], "NO")
        full = self.login(support.MARIA, support.employee_token(support.MARIA))
        typ, data = full.append("Templates", "(\\Seen)", None, b"Subject: template\r\n\r\nBody\r\n")
        self.assertEqual(typ, "OK")
        self.assertRegex(data[0].decode(), r"^\[APPENDUID 1600000008 1\] APPEND Completed\.$")
        full.select("Templates")
        self.assertEqual(full.uid("STORE", "1", "+FLAGS", "(\\Deleted)")[0], "OK")
        self.assertEqual(full.expunge(), ("OK", [b"1"]))
        self.assertEqual(full.create('"%s"' % encode_mutf7("Проекты|Бета")), ("OK", [b"CREATE Completed."]))
        self.assertIn("Проекты|Бета", folder_names(full.list()[1]))

    def test_ten_thousand_messages_come_back_whole(self):
        seeded = support.control("POST", "/mail/seed", {"user": support.MARIA, "folder": "Archives", "count": 10000, "min_size": 2048, "max_size": 51200})
        listed = support.control("GET", "/mail/messages?user=%s&folder=Archives&sha256=true" % support.MARIA)["messages"]
        digests = {m["uid"]: m["sha256"] for m in listed}
        imap = self.login(support.MARIA, support.employee_token(support.MARIA, "mail:imap_ro"))
        self.assertEqual(imap.select("Archives", readonly=True), ("OK", [b"10000"]))
        started = time.perf_counter()
        count = total = 0
        for first in range(1, 10001, 500):
            typ, data = imap.uid("FETCH", "%d:%d" % (first, first + 499), "(BODY.PEEK[])")
            self.assertEqual(typ, "OK")
            for item in data:
                if isinstance(item, tuple):
                    uid = int(re.search(rb"UID (\d+)", item[0]).group(1))
                    self.assertEqual(hashlib.sha256(item[1]).hexdigest(), digests[uid], uid)
                    count += 1
                    total += len(item[1])
        elapsed = time.perf_counter() - started
        self.assertEqual((count, total), (10000, seeded["bytes"]))
        print(
            "\nimaplib: %d messages, %.1f MB in %.2f s: %.0f messages/s, %.0f MB/s (hashing included)"
            % (count, total / 1e6, elapsed, count / elapsed, total / 1e6 / elapsed),
            file=sys.stderr,
        )


if __name__ == "__main__":
    unittest.main()
