"""CPython's smtplib, unmodified, against the sandbox's SMTP listener (docs/protocols-mail.md §3):
AUTH XOAUTH2 inline, a message with an attachment delivered and read back with imaplib, the
sender refused when the user does not own it, a wrong token, the size limit."""

import email
import email.message
import email.policy
import imaplib
import smtplib
import unittest

import support


class SmtplibTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        support.control("POST", "/reset")
        support.register_service_app()
        listeners = support.listeners()
        cls.smtp_address = support.host_port(listeners["smtp"])
        cls.imap_address = support.host_port(listeners["imap"])

    def connect(self, email_address, token):
        smtp = smtplib.SMTP(*self.smtp_address)
        self.addCleanup(smtp.close)
        smtp.ehlo("client.example")
        smtp.auth("XOAUTH2", lambda challenge=None: support.xoauth2(email_address, token))
        return smtp

    def test_send_then_read_back(self):
        smtp = self.connect(support.IVAN, support.employee_token(support.IVAN))
        message = email.message.EmailMessage()
        message["From"] = support.IVAN
        message["To"] = support.MARIA
        message["Subject"] = "Отчёт с вложением"
        message.set_content("Файл во вложении.")
        message.add_attachment(b"%PDF-1.4 sandbox\n", maintype="application", subtype="pdf", filename="report.pdf")
        self.assertEqual(smtp.send_message(message), {})
        smtp.quit()
        imap = imaplib.IMAP4(*self.imap_address)
        self.addCleanup(imap.logout)
        imap.authenticate("XOAUTH2", lambda _: support.xoauth2(support.MARIA, support.employee_token(support.MARIA)).encode())
        imap.select("INBOX", readonly=True)
        # imaplib sends a non-ASCII argument as a literal when given through `literal`.
        imap.literal = "вложением".encode()
        typ, found = imap.uid("SEARCH", "CHARSET", "UTF-8", "SUBJECT")
        self.assertEqual(typ, "OK")
        uid = found[0].split()[-1]
        typ, data = imap.uid("FETCH", uid, "(BODY.PEEK[])")
        received = email.message_from_bytes(data[0][1], policy=email.policy.default)
        self.assertEqual(received["Subject"], "Отчёт с вложением")
        attachments = list(received.iter_attachments())
        self.assertEqual([a.get_filename() for a in attachments], ["report.pdf"])
        self.assertEqual(attachments[0].get_content(), b"%PDF-1.4 sandbox\n")
        self.assertTrue(data[0][1].startswith(b"Received: from [127.0.0.1] by smtp-sandbox.mail.yandex.net"))
        sent = support.control("GET", "/mail/messages?user=%s&folder=%s" % (support.IVAN, "Отправленные"))["messages"]
        self.assertEqual(len(sent), 2)

    def test_a_sender_the_user_does_not_own_is_refused(self):
        smtp = self.connect(support.IVAN, support.employee_token(support.IVAN))
        with self.assertRaises(smtplib.SMTPSenderRefused) as refused:
            smtp.sendmail(support.MARIA, [support.OWNER], b"Subject: spoof\r\n\r\nx\r\n")
        self.assertEqual(refused.exception.smtp_code, 553)
        self.assertEqual(refused.exception.smtp_error, b"5.7.1 Sender address rejected: not owned by auth user.")

    def test_a_wrong_token_and_the_size_limit(self):
        smtp = smtplib.SMTP(*self.smtp_address)
        self.addCleanup(smtp.close)
        smtp.ehlo("client.example")
        with self.assertRaises(smtplib.SMTPAuthenticationError) as refused:
            smtp.auth("XOAUTH2", lambda challenge=None: support.xoauth2(support.IVAN, "y0_wrong"))
        self.assertEqual(refused.exception.smtp_code, 535)
        self.assertEqual(smtp.esmtp_features["size"], "42991616")
        smtp = self.connect(support.IVAN, support.employee_token(support.IVAN))
        huge = b"Subject: big\r\n\r\n" + (b"x" * 998 + b"\r\n") * 43100
        with self.assertRaises(smtplib.SMTPSenderRefused) as refused:
            smtp.sendmail(support.IVAN, [support.MARIA], huge)
        self.assertEqual(refused.exception.smtp_code, 552)


if __name__ == "__main__":
    unittest.main()
