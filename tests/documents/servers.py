"""Real servers on loopback for the document store's tests: an S3-protocol server (moto's
server mode, a process of its own) and a TCP relay that can cut the line to it mid-transfer
(a storage outage that keeps what the server already stored)."""

import contextlib
import socket
import struct
import subprocess
import sys
import threading
import time
import uuid

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing answers on port {port}")


class MotoServer:
    """``python -m moto.server`` on a free port; buckets are made per test."""

    ACCESS_KEY = "testing"
    SECRET_KEY = "testing"  # noqa: S105 - moto accepts any key

    def __init__(self):
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, url: str | None = None):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=url or self.url,
            aws_access_key_id=self.ACCESS_KEY,
            aws_secret_access_key=self.SECRET_KEY,
            region_name="us-east-1",
        )

    def new_bucket(self) -> str:
        name = f"crm-test-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str) -> list[str]:
        answer = self.client().list_objects_v2(Bucket=bucket)
        return sorted(item["Key"] for item in answer.get("Contents", ()))

    def stop(self) -> None:
        self.process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(10)
        if self.process.poll() is None:
            self.process.kill()


def storage_settings(endpoint: str, bucket: str, *, timeout: int = 2) -> dict:
    """STORAGES["default"] for the S3 store at ``endpoint`` (what crm/settings.py builds from
    FILE_STORAGE=s3, with short timeouts so an outage test ends quickly)."""
    from botocore.config import Config

    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint,
            "region_name": "us-east-1",
            "access_key": MotoServer.ACCESS_KEY,
            "secret_key": MotoServer.SECRET_KEY,
            "default_acl": None,
            "file_overwrite": True,
            "client_config": Config(
                connect_timeout=timeout,
                read_timeout=timeout,
                retries={"max_attempts": 2, "mode": "standard"},
            ),
        },
    }


class Relay:
    """A TCP relay on loopback in front of ``port``: ``cut()`` closes every connection and
    refuses new ones (the store is unreachable) until ``mend()``; ``cut_after(n)`` cuts once
    ``n`` more bytes went from the client to the server (an outage mid-upload)."""

    def __init__(self, port: int):
        self.target = port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.sockets: set[socket.socket] = set()
        self.down = False
        self.budget: int | None = None
        self.sent = 0
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while True:
            try:
                client, _address = self.listener.accept()
            except OSError:
                return
            if self.down:
                client.close()
                continue
            server = socket.create_connection(("127.0.0.1", self.target))
            with self.lock:
                self.sockets |= {client, server}
            threading.Thread(target=self._pipe, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, False), daemon=True).start()

    def _pipe(self, source, target, upstream: bool) -> None:
        try:
            while data := source.recv(65536):
                if upstream and self.budget is not None:
                    with self.lock:
                        self.sent += len(data)
                        over = self.sent >= self.budget
                    if over:
                        self.cut()
                        return
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    def cut(self) -> None:
        self.down = True
        with self.lock:
            sockets, self.sockets = self.sockets, set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def cut_after(self, count: int) -> None:
        with self.lock:
            self.sent = 0
            self.budget = count

    def mend(self) -> None:
        with self.lock:
            self.budget = None
        self.down = False

    def close(self) -> None:
        self.cut()
        self.listener.close()


@pytest.fixture(scope="session")
def moto_server():
    server = MotoServer()
    yield server
    server.stop()


@pytest.fixture
def s3(settings, moto_server):
    """The default storage switched to a fresh bucket of the moto server; yields
    (server, bucket)."""
    bucket = moto_server.new_bucket()
    settings.STORAGES = {**settings.STORAGES, "default": storage_settings(moto_server.url, bucket)}
    return moto_server, bucket


@pytest.fixture
def relayed_s3(settings, moto_server):
    """The default storage on a fresh bucket reached through a ``Relay`` (yielded with the
    server and bucket) that a test can cut."""
    bucket = moto_server.new_bucket()
    relay = Relay(moto_server.port)
    settings.STORAGES = {**settings.STORAGES, "default": storage_settings(relay.url, bucket)}
    yield moto_server, bucket, relay
    relay.close()


class FakeClamd:
    """A small clamd on loopback (TCP, or a Unix socket when ``path`` is given) speaking the
    INSTREAM protocol: length-prefixed chunks up to a zero length, then ``stream: OK`` or
    ``stream: Eicar-Test-Signature FOUND`` (NUL-terminated, as for ``zINSTREAM``). Past
    ``max_bytes`` it answers as clamd does (``INSTREAM size limit exceeded. ERROR``) and
    closes. ``received`` holds what each scan was sent."""

    SIGNATURE = b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE"

    def __init__(self, path: str | None = None, max_bytes: int = 25 * 1024 * 1024):
        import socketserver

        fake = self
        self.max_bytes = max_bytes
        self.received: list[bytes] = []

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                reader = self.request.makefile("rb")
                command = reader.read(10)
                if command != b"zINSTREAM\0":
                    self.request.sendall(b"UNKNOWN COMMAND\0")
                    return
                data = bytearray()
                while True:
                    length = struct.unpack("!L", reader.read(4))[0]
                    if not length:
                        break
                    if len(data) + length > fake.max_bytes:
                        self.request.sendall(b"INSTREAM size limit exceeded. ERROR\0")
                        return
                    data += reader.read(length)
                fake.received.append(bytes(data))
                if fake.SIGNATURE in data:
                    self.request.sendall(b"stream: Eicar-Test-Signature FOUND\0")
                else:
                    self.request.sendall(b"stream: OK\0")

        if path:
            self.server = socketserver.ThreadingUnixStreamServer(path, Handler)
        else:
            self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.address = self.server.server_address
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def eicar() -> bytes:
    """The EICAR test file, put together here so that no scanner flags this source file."""
    return b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + FakeClamd.SIGNATURE + b"!$H+H*"


@pytest.fixture
def clamd(settings):
    """A fake clamd on a TCP port of loopback, configured as the upload's scanner."""
    fake = FakeClamd()
    settings.CLAMD_HOST, settings.CLAMD_PORT = fake.address
    settings.CLAMD_SOCKET = ""
    yield fake
    fake.stop()
