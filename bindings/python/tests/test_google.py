"""Google OAuth and Google Drive against the sandbox: the loopback sign-in as a person does it,
a Drive round trip, refreshed credentials, a service-account token and a refused token."""

from __future__ import annotations

import base64
import hashlib
import tempfile
import threading
import unittest
from pathlib import Path
from typing import Any, Dict, List

from support import GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET, SandboxTestCase, diskbridge, pattern

DRIVE_SCOPE = "https://www.googleapis.com/auth/drive"


class GoogleTest(SandboxTestCase):
    def setUp(self) -> None:
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        self.local = Path(folder.name)

    def loopback_sign_in(self) -> Dict[str, Any]:
        """The library listens on 127.0.0.1; the person's browser opens the URL, consents and is
        redirected to that listener, which catches the code."""
        started = self.client.google_workspace.start_loopback_authorization(
            client_id=GOOGLE_CLIENT_ID, client_secret=GOOGLE_CLIENT_SECRET, scopes=[DRIVE_SCOPE], timeout_s=60
        )
        browser = threading.Thread(target=self.sandbox.get, args=(started["url"],))
        browser.start()
        self.addCleanup(browser.join)
        tokens: Dict[str, Any] = self.client.google_workspace.complete_loopback_authorization(
            session=started["session"], timeout_s=60
        )
        return tokens

    def test_loopback_sign_in_and_a_drive_round_trip(self) -> None:
        tokens = self.loopback_sign_in()
        self.assertTrue({"access_token", "refresh_token", "expires_in"} <= set(tokens))
        drive = self.client.google_drive
        token = tokens["access_token"]

        content = pattern(700_000, 3)
        source = self.local / "report.bin"
        source.write_bytes(content)
        reports: List[int] = []
        uploaded = drive.upload_file(
            token=token,
            file=source,
            description={"Name": "report.bin", "MIME": "application/octet-stream"},
            on_progress=lambda done, total: reports.append(done),
        )
        self.assertEqual(uploaded["name"], "report.bin")
        self.assertEqual(reports[-1], len(content))
        small = b"inline bytes for Drive"
        inline = drive.upload_file(token=token, data_base64=small, description={"Name": "inline.txt"})

        listed = drive.get_files_list(token=token, name_contains="report")
        self.assertEqual([item["id"] for item in listed], [uploaded["id"]])

        target = self.local / "copy.bin"
        downloaded = drive.download_file(token=token, file_id=uploaded["id"], save_path=target)
        self.assertEqual(target.read_bytes(), content)
        self.assertEqual(downloaded["md5"], hashlib.md5(content).hexdigest())
        back = drive.download_file(token=token, file_id=inline["id"])
        self.assertEqual(base64.b64decode(back["data_base64"]), small)

        with self.assertRaises(diskbridge.Error) as raised:
            drive.download_file(token=token, file_id="no-such-file-id")
        self.assertEqual((raised.exception.code, raised.exception.http_status), ("not_found", 404))
        self.assertEqual(raised.exception.upstream["error"]["code"], 404)

    def test_refreshed_google_credentials_reach_the_caller(self) -> None:
        tokens = self.loopback_sign_in()
        received: List[Dict[str, Any]] = []
        client = diskbridge.Client(options=self.sandbox.options(), on_credentials=received.append)
        credentials = {
            "access_token": tokens["access_token"],
            "refresh_token": tokens["refresh_token"],
            "client_id": GOOGLE_CLIENT_ID,
            "client_secret": GOOGLE_CLIENT_SECRET,
            "expires_at": 1,
        }
        listed = client.google_drive.get_files_list(credentials=credentials, name_contains="nothing-by-this-name")
        self.assertEqual(listed, [])
        self.assertEqual(len(received), 1)
        self.assert_different(received[0]["access_token"], tokens["access_token"], "the refreshed access token")
        self.assert_same(received[0]["refresh_token"], tokens["refresh_token"], "Google's kept refresh token")

    def test_service_account_token_and_a_refused_token(self) -> None:
        key = self.sandbox.control("GET", "google/service-account-key")
        tokens = self.client.google_workspace.get_service_account_token(
            key=key, scope=[DRIVE_SCOPE], subject="robot-owner@sandbox-workspace.example"
        )
        stored = self.client.google_drive.upload_file(
            token=tokens["access_token"], data_base64=b"from the robot", description={"Name": "robot.txt"}
        )
        self.assertEqual(stored["name"], "robot.txt")
        with self.assertRaises(diskbridge.Error) as raised:
            self.client.google_drive.get_files_list(token="ya29.not-a-token-the-sandbox-issued")
        self.assertEqual((raised.exception.code, raised.exception.http_status), ("unauthorized", 401))


if __name__ == "__main__":
    unittest.main()
