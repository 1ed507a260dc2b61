"""Yandex ID and Yandex Disk against the sandbox: sign-in, a Disk round trip, progress and
cancellation, error replies, refreshed credentials and calls from several threads."""

from __future__ import annotations

import base64
import hashlib
import tempfile
import threading
import unittest
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Dict, List, Tuple

from support import YANDEX_CLIENT_ID, YANDEX_CLIENT_SECRET, SandboxTestCase, diskbridge, pattern

MIB = 1024 * 1024


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


class YandexTest(SandboxTestCase):
    token: str

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.token = cls.sign_in()["access_token"]

    def setUp(self) -> None:
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        self.local = Path(folder.name)

    def test_device_flow_sign_in_waits_for_the_person(self) -> None:
        code = self.client.yandex_id.get_confirmation_code(client_id=YANDEX_CLIENT_ID)
        self.assertEqual(code["interval"], 1)
        # The person approves a little later, while WaitForToken polls.
        person = threading.Timer(1.5, self.sandbox.approve_device, (code["verification_url"], code["user_code"]))
        person.start()
        self.addCleanup(person.join)
        waited: List[Tuple[int, int]] = []
        tokens = self.client.yandex_id.wait_for_token(
            client_id=YANDEX_CLIENT_ID,
            client_secret=YANDEX_CLIENT_SECRET,
            device_code=code["device_code"],
            interval=code["interval"],
            timeout_s=30,
            on_progress=lambda done, total: waited.append((done, total)),
        )
        self.assertTrue({"access_token", "refresh_token", "expires_in"} <= set(tokens))
        self.assertGreaterEqual(len(waited), 1, "seconds waited were reported")
        self.assertTrue(all(total == 30 for _, total in waited))
        me = self.client.yandex_id.get_user_info(token=tokens["access_token"])
        self.assertEqual(me["login"], "sandbox-owner")

    def test_waiting_is_cancelled_by_a_truthy_progress_return(self) -> None:
        code = self.client.yandex_id.get_confirmation_code(client_id=YANDEX_CLIENT_ID)
        with self.assertRaises(diskbridge.Error) as raised:
            self.client.call(
                "YandexID.WaitForToken",
                client_id=YANDEX_CLIENT_ID,
                client_secret=YANDEX_CLIENT_SECRET,
                device_code=code["device_code"],
                interval=1,
                on_progress=lambda done, total: True,
            )
        self.assertEqual(raised.exception.code, "cancelled")

    def test_a_progress_callback_may_call_the_library(self) -> None:
        code = self.client.yandex_id.get_confirmation_code(client_id=YANDEX_CLIENT_ID)
        nested: List[Any] = []

        def call_back_in(done: int, total: int) -> bool:
            nested.append(self.client.library.version()["version"])
            nested.append(self.client.yandex_id.get_confirmation_code(client_id=YANDEX_CLIENT_ID)["user_code"])
            return len(nested) >= 6

        # On a thread with a deadline: a deadlock fails the test instead of hanging the run.
        outcome: List[BaseException] = []

        def wait() -> None:
            try:
                self.client.yandex_id.wait_for_token(
                    client_id=YANDEX_CLIENT_ID,
                    client_secret=YANDEX_CLIENT_SECRET,
                    device_code=code["device_code"],
                    interval=1,
                    on_progress=call_back_in,
                )
            except BaseException as error:  # noqa: BLE001 - handed to the test thread
                outcome.append(error)

        waiter = threading.Thread(target=wait, daemon=True)
        waiter.start()
        waiter.join(60)
        self.assertFalse(waiter.is_alive(), "a nested call from the callback deadlocked")
        self.assertIsInstance(outcome[0], diskbridge.Error)
        self.assertEqual(outcome[0].code, "cancelled")  # type: ignore[attr-defined]
        self.assertEqual(nested[0::2], [self.client.version] * 3)
        self.assertTrue(all(isinstance(user_code, str) for user_code in nested[1::2]))

    def test_an_exception_in_the_progress_callback_cancels_and_is_raised_after(self) -> None:
        code = self.client.yandex_id.get_confirmation_code(client_id=YANDEX_CLIENT_ID)
        calls: List[int] = []

        def broken(done: int, total: int) -> bool:
            calls.append(done)
            raise LookupError("the progress bar is gone")

        with self.assertRaisesRegex(LookupError, "the progress bar is gone"):
            self.client.yandex_id.wait_for_token(
                client_id=YANDEX_CLIENT_ID,
                client_secret=YANDEX_CLIENT_SECRET,
                device_code=code["device_code"],
                interval=1,
                on_progress=broken,
            )
        self.assertEqual(len(calls), 1, "the callback is not called again once it failed")
        self.assertEqual(self.client.library.version()["version"], self.client.version, "the process goes on")

    def test_disk_round_trip(self) -> None:
        disk = self.client.yandex_disk
        token = self.token
        folder = disk.create_folder(token=token, path="/round trip")
        self.assertEqual(folder["path"], "disk:/round trip")

        # From a local file (a Path is sent as a string).
        content = pattern(300_000, 1)
        source = self.local / "source.bin"
        source.write_bytes(content)
        stored = disk.upload_file(token=token, path="/round trip/file.bin", file=source)
        self.assertEqual((stored["size"], stored["md5"]), (len(content), md5(content)))
        # From bytes (sent base64-encoded) and from a base64 string.
        small = "привет, Disk".encode()
        from_bytes = disk.upload_file(token=token, path="/round trip/bytes.txt", data_base64=small)
        self.assertEqual(from_bytes["md5"], md5(small))
        from_text = disk.upload_file(
            token=token, path="/round trip/text.txt", data_base64=base64.b64encode(small).decode()
        )
        self.assertEqual(from_text["md5"], md5(small))

        listing = disk.get_object(token=token, path="/round trip", sort="name", fields="_embedded.items.name")
        names = [item["name"] for item in listing["_embedded"]["items"]]
        self.assertEqual(names, ["bytes.txt", "file.bin", "text.txt"])
        # OPI's parameter names work as keywords too.
        self.assertEqual(
            self.client.call("YandexDisk.GetObject", Token=token, Path="/round trip/file.bin")["md5"], md5(content)
        )

        target = self.local / "downloaded.bin"
        downloaded = disk.download_file(token=token, path="/round trip/file.bin", save_path=target)
        self.assertEqual(target.read_bytes(), content)
        self.assertEqual(downloaded["md5"], md5(content))
        self.assertEqual(downloaded["sha256"], hashlib.sha256(content).hexdigest())
        inline = disk.download_file(token=token, path="/round trip/bytes.txt")
        self.assertEqual(base64.b64decode(inline["data_base64"]), small)

        copy = disk.create_object_copy(token=token, from_="/round trip/file.bin", to="/round trip/copy.bin")
        self.assertEqual(copy["md5"], md5(content))
        moved = self.client.call("YandexDisk.MoveObject", token=token, from_="/round trip/copy.bin", to="/moved.bin")
        self.assertEqual(moved["path"], "disk:/moved.bin")

        self.assertEqual(disk.delete_object(token=token, path="/moved.bin"), {})
        self.assertEqual(disk.delete_object(token=token, path="/round trip", to_trash=False), {})
        with self.assertRaises(diskbridge.Error) as raised:
            disk.get_object(token=token, path="/round trip")
        self.assertEqual(raised.exception.code, "not_found")

    def test_transfer_progress_and_cancellation(self) -> None:
        disk = self.client.yandex_disk
        content = pattern(3 * MIB + 17, 2)
        source = self.local / "big.bin"
        source.write_bytes(content)
        reports: List[Tuple[int, int]] = []

        def record(done: int, total: int) -> bool:
            reports.append((done, total))
            return False

        stored = disk.upload_file_in_parts(
            token=self.token, path="/big.bin", file=source, chunk_size=MIB, on_progress=record
        )
        self.assertEqual(stored["md5"], md5(content))
        self.assertGreaterEqual(len(reports), 3)
        self.assertEqual(reports[-1], (len(content), len(content)))
        self.assertEqual(reports, sorted(reports), "progress only goes forward")

        with self.assertRaises(diskbridge.Error) as raised:
            disk.upload_file(
                token=self.token, path="/cancelled.bin", file=source, on_progress=lambda done, total: done >= MIB
            )
        self.assertEqual(raised.exception.code, "cancelled")
        with self.assertRaises(diskbridge.Error) as missing:
            disk.get_object(token=self.token, path="/cancelled.bin")
        self.assertEqual(missing.exception.code, "not_found", "nothing partial was stored")

        out = self.local / "out"
        out.mkdir()
        with self.assertRaises(diskbridge.Error) as raised:
            disk.download_file(
                token=self.token,
                path="/big.bin",
                save_path=out / "big.bin",
                on_progress=lambda done, total: done >= MIB,
            )
        self.assertEqual(raised.exception.code, "cancelled")
        self.assertEqual(list(out.iterdir()), [], "nothing partial was written")

    def test_background_jobs_take_method_and_params_keywords(self) -> None:
        content = pattern(500_000, 4)
        source = self.local / "job.bin"
        source.write_bytes(content)
        started = self.client.jobs.start(
            method="YandexDisk.UploadFile",
            params={"token": self.token, "path": "/job.bin", "file": source, "options": self.sandbox.options()},
        )
        finished = self.client.jobs.wait(job_id=started["job_id"], timeout_s=30)
        self.assertEqual(finished["state"], "done")
        self.assertEqual(finished["reply"]["result"]["md5"], md5(content))
        with self.assertRaises(diskbridge.Error) as raised:
            self.client.jobs.status(job_id="no-such-job")
        self.assertEqual(raised.exception.code, "unknown_job")

    def test_service_errors_carry_status_service_and_upstream(self) -> None:
        disk = self.client.yandex_disk
        with self.assertRaises(diskbridge.Error) as raised:
            disk.get_object(token=self.token, path="/no such thing")
        error = raised.exception
        self.assertEqual(
            (error.code, error.http_status, error.service, error.retryable), ("not_found", 404, "yandex_disk", False)
        )
        self.assertEqual(error.upstream["error"], "DiskNotFoundError")
        self.assertEqual(error.envelope["error"]["upstream"], error.upstream)

        disk.create_folder(token=self.token, path="/twice")
        with self.assertRaises(diskbridge.Error) as raised:
            disk.create_folder(token=self.token, path="/twice")
        self.assertEqual((raised.exception.code, raised.exception.http_status), ("conflict", 409))

        with self.assertRaises(diskbridge.Error) as raised:
            disk.get_disk_information(token="y0_not_a_token_the_sandbox_issued")
        self.assertEqual((raised.exception.code, raised.exception.http_status), ("unauthorized", 401))
        self.assertNotIn("y0_not_a_token_the_sandbox_issued", raised.exception.message)

        with self.assertRaises(diskbridge.Error) as raised:
            disk.upload_file(token=self.token, path="/x.bin", file=self.local / "missing.bin")
        self.assertEqual(raised.exception.code, "local_io")

    def test_refreshed_credentials_reach_the_caller(self) -> None:
        received: List[Dict[str, Any]] = []
        client = diskbridge.Client(options=self.sandbox.options(), on_credentials=received.append)
        tokens = self.sign_in()
        credentials = dict(self.credentials(tokens), expires_at=1, note="kept for the host")

        # Expired: refreshed before the call, handed to on_credentials.
        info = client.yandex_disk.get_disk_information(credentials=credentials)
        self.assertEqual(info["user"]["login"], "sandbox-owner")
        self.assertEqual(len(received), 1)
        fresh = received[0]
        self.assert_different(fresh["refresh_token"], tokens["refresh_token"], "Yandex rotates the refresh token")
        self.assertGreater(fresh["expires_at"], 1)
        self.assertEqual(fresh["note"], "kept for the host")

        # invoke returns them with the result.
        reply = client.invoke("YandexDisk.GetDiskInformation", {"credentials": dict(fresh, expires_at=1)})
        assert reply.credentials is not None
        self.assert_same(reply.credentials, received[1], "Reply.credentials and on_credentials")
        self.assert_different(reply.credentials["refresh_token"], fresh["refresh_token"], "the second refresh")
        self.assert_same(reply.envelope["credentials"], reply.credentials, "the envelope's credentials")

        # A failed call that refreshed still delivers them, on the error too.
        with self.assertRaises(diskbridge.Error) as raised:
            client.yandex_disk.get_object(credentials=dict(reply.credentials, expires_at=1), path="/absent")
        self.assertEqual(raised.exception.code, "not_found")
        self.assert_same(raised.exception.credentials, received[2], "Error.credentials and on_credentials")

        # Nothing refreshed: no credentials.
        plain = client.invoke("YandexDisk.GetDiskInformation", {"token": received[2]["access_token"]})
        self.assertTrue(plain.credentials is None, "no credentials when nothing was refreshed")
        self.assertEqual(len(received), 3)

    def test_calls_from_several_threads_at_once(self) -> None:
        disk = self.client.yandex_disk
        disk.create_folder(token=self.token, path="/threads")
        progress: Dict[int, List[int]] = {}

        def round_trip(worker: int) -> Tuple[str, str]:
            content = pattern(200_000 + worker * 1000, worker)
            source = self.local / f"{worker}.bin"
            source.write_bytes(content)
            seen = progress.setdefault(worker, [])
            stored = disk.upload_file(
                token=self.token,
                path=f"/threads/{worker}.bin",
                file=source,
                on_progress=lambda done, total: seen.append(done),
            )
            back = base64.b64decode(disk.download_file(token=self.token, path=f"/threads/{worker}.bin")["data_base64"])
            self.assertEqual(back, content)
            return stored["md5"], md5(content)

        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(round_trip, range(16)))
        for stored, expected in results:
            self.assertEqual(stored, expected)
        self.assertEqual(len(disk.get_folder_items(token=self.token, path="/threads")["items"]), 16)
        for worker, seen in progress.items():
            self.assertEqual(seen[-1], 200_000 + worker * 1000, "each call got its own progress")

    def test_threads_sharing_expired_credentials_refresh_once(self) -> None:
        received: List[Dict[str, Any]] = []
        lock = threading.Lock()

        def store(credentials: Dict[str, Any]) -> None:
            with lock:
                received.append(credentials)

        client = diskbridge.Client(options=self.sandbox.options(), on_credentials=store)
        credentials = dict(self.credentials(self.sign_in()), expires_at=1)
        with ThreadPoolExecutor(max_workers=6) as pool:
            logins = list(
                pool.map(lambda _: client.yandex_id.get_user_info(credentials=credentials)["login"], range(6))
            )
        self.assertEqual(logins, ["sandbox-owner"] * 6)
        self.assertEqual(len(received), 6)
        self.assertTrue(all(fresh == received[0] for fresh in received), "one refresh, the same new tokens for all")


if __name__ == "__main__":
    unittest.main()
