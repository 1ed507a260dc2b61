"""The TLS the real servers need (docs/protocols-mail.md §2.1, §3, §4), against a sandbox started
with TLS: CPython's IMAP4_SSL and SMTP_SSL and curl's imaps://, smtps:// and https:// trusting the
sandbox's CA (DISKBRIDGE_SANDBOX_CA_FILE), and refusing the sandbox when they trust only the
system's CAs."""

import imaplib
import smtplib
import ssl
import subprocess
import unittest

import support


class TlsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        assert support.ca_file(), "run with a TLS sandbox (DISKBRIDGE_SANDBOX_CA_FILE)"
        support.register_service_app()
        cls.listeners = support.listeners()
        cls.token = support.employee_token(support.IVAN)

    def test_imap4_ssl_and_smtp_ssl(self):
        self.assertTrue(self.listeners["tls"])
        host, port = support.host_port(self.listeners["imap"])
        imap = imaplib.IMAP4_SSL(host, port, ssl_context=support.tls_context())
        imap.authenticate("XOAUTH2", lambda _: support.xoauth2(support.IVAN, self.token).encode())
        self.assertEqual(imap.select("INBOX", readonly=True), ("OK", [b"4"]))
        imap.logout()
        host, port = support.host_port(self.listeners["smtp"])
        with smtplib.SMTP_SSL(host, port, context=support.tls_context()) as smtp:
            smtp.auth("XOAUTH2", lambda challenge=None: support.xoauth2(support.IVAN, self.token))
            self.assertEqual(smtp.sendmail(support.IVAN, [support.MARIA], b"Subject: over TLS\r\n\r\nx\r\n"), {})

    def test_the_system_s_cas_do_not_trust_the_sandbox(self):
        host, port = support.host_port(self.listeners["imap"])
        with self.assertRaises(ssl.SSLCertVerificationError):
            imaplib.IMAP4_SSL(host, port, ssl_context=ssl.create_default_context())

    def test_curl_with_the_ca_file(self):
        common = ["curl", "--silent", "--show-error", "--max-time", "30", "--cacert", support.ca_file()]
        login = ["--user", support.IVAN + ":", "--oauth2-bearer", self.token]
        imap = subprocess.run(common + ["imaps://%s/INBOX?ALL" % self.listeners["imap"]] + login, capture_output=True)
        self.assertEqual((imap.returncode, imap.stdout.strip()), (0, b"* SEARCH 1 2 3 4"), imap.stderr)
        smtp = subprocess.run(
            common + ["smtps://%s" % self.listeners["smtp"], "--mail-from", support.IVAN, "--mail-rcpt", support.MARIA, "--upload-file", "-"] + login,
            input=b"Subject: curl over TLS\r\n\r\nx\r\n",
            capture_output=True,
        )
        self.assertEqual(smtp.returncode, 0, smtp.stderr)
        caldav = subprocess.run(
            common + [self.listeners["caldav"], "--request", "PROPFIND", "--header", "Depth: 0", "--user", "%s:%s" % (support.IVAN, self.token), "--write-out", "%{http_code}", "--output", "/dev/null"],
            capture_output=True,
        )
        self.assertEqual(caldav.stdout, b"207", caldav.stderr)
        untrusted = subprocess.run(["curl", "--silent", "--max-time", "30", "imaps://%s/" % self.listeners["imap"]] + login, capture_output=True)
        self.assertEqual(untrusted.returncode, 60)  # CURLE_PEER_FAILED_VERIFICATION


if __name__ == "__main__":
    unittest.main()
