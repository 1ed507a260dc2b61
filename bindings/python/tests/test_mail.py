"""YandexMail from Python: an administrator's service application counts an employee's mail
over IMAP with an exchanged token (the sandbox's IMAP listener, found by the library)."""

from __future__ import annotations

import unittest

from support import SandboxTestCase

SERVICE_CLIENT_ID = "sandbox-yandex-service-app"
SERVICE_CLIENT_SECRET = "sandbox-yandex-service-secret"
ORG_ID = 7654321
IVAN = "ivan.petrov@sandbox-org.ru"


class MailTest(SandboxTestCase):
    def test_an_employees_mailbox_is_counted(self) -> None:
        owner = self.sign_in()["access_token"]
        self.client.call("Yandex360.ActivateServiceApplications", token=owner, org_id=ORG_ID)
        self.client.call(
            "Yandex360.AddServiceApplication",
            token=owner,
            org_id=ORG_ID,
            client_id=SERVICE_CLIENT_ID,
            scopes="mail:imap_ro",
        )
        employee = {
            "client_id": SERVICE_CLIENT_ID,
            "client_secret": SERVICE_CLIENT_SECRET,
            "subject": {"user_email": IVAN},
        }
        counted = self.client.yandex_mail.get_message_count(credentials=employee)
        self.assertEqual(counted["total"], 12)
        inbox = [folder for folder in counted["folders"] if folder["name"] == "INBOX"]
        self.assertEqual(inbox[0]["messages"], 4)


if __name__ == "__main__":
    unittest.main()
