"""``credentials_file`` from Python: several Python processes share one sign-in through the file
(the library renews under the file's lock), and a call reports where it saved renewed tokens."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from support import HERE, SandboxTestCase, diskbridge

# One process: `calls` calls with the file, then how many failed and with which codes.
WORKER = """
import json, sys
sys.path.insert(0, sys.argv[1])
import diskbridge
options = {"sandbox": sys.argv[2], "retries": {"base_delay_ms": 50, "max_delay_ms": 200}}
client = diskbridge.Client(options=options)
codes = []
for _ in range(int(sys.argv[4])):
    try:
        client.yandex_disk.get_disk_information(credentials_file=sys.argv[3])
    except diskbridge.Error as error:
        codes.append(error.code)
print(json.dumps({"failed": codes}))
"""


class CredentialsFileTest(SandboxTestCase):
    def setUp(self) -> None:
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        self.file = Path(folder.name) / "tokens.json"

    def save(self, credentials: dict) -> None:
        self.file.write_text(json.dumps(credentials))
        os.chmod(self.file, 0o600)

    def test_a_renewal_is_saved_to_the_file_not_returned(self) -> None:
        credentials = dict(self.credentials(self.sign_in()), expires_at=1)
        self.save(credentials)
        reply = self.client.invoke("YandexDisk.GetDiskInformation", {"credentials_file": str(self.file)})
        self.assertEqual(reply.result["user"]["login"], "sandbox-owner")
        self.assertTrue(reply.credentials is None, "the tokens stay in the file")
        self.assertEqual(reply.envelope["credentials_saved_to"], str(self.file.resolve()))
        saved = json.loads(self.file.read_text())
        self.assert_different(saved["refresh_token"], credentials["refresh_token"], "the file got the new token")
        self.assertEqual(self.file.stat().st_mode & 0o777, 0o600)

    def test_processes_share_one_file(self) -> None:
        # Every token expires within the library's margin: every call of every process renews.
        self.sandbox.settings(yandex_token_ttl_s=50)
        self.addCleanup(self.sandbox.settings, yandex_token_ttl_s=31536000)
        tokens = self.sign_in()
        self.save(self.credentials(tokens))
        workers = [
            subprocess.Popen(
                [sys.executable, "-c", WORKER, str(HERE.parent), self.sandbox.url, str(self.file), "8"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for _ in range(4)
        ]
        for worker in workers:
            stdout, stderr = worker.communicate(timeout=300)
            self.assertEqual(worker.returncode, 0, stderr.decode(errors="replace")[-2000:])
            self.assertEqual(json.loads(stdout)["failed"], [], "every call of every process succeeds")
        saved = json.loads(self.file.read_text())
        renewed = diskbridge.Client(options=self.sandbox.options()).yandex_id.refresh_token(
            client_id=saved["client_id"], client_secret=saved["client_secret"], refresh_token=saved["refresh_token"]
        )
        self.assertTrue("access_token" in renewed, "the file holds the live refresh token")
