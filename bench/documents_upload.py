"""Benchmark: a 100 MB upload through the real web process, and what it costs that process in
memory (issue 24: peak RSS below 150 MB above its idle size), beside baselines measured in
the same run.

    python scripts/stack.py bench bench/documents_upload.py                  # 100 MB, file system
    BENCH_STORAGE=s3 python scripts/stack.py bench bench/documents_upload.py # into moto's S3
    BENCH_UPLOAD_MB=20 python scripts/stack.py bench bench/documents_upload.py

1. A gunicorn (``crm.wsgi``, production settings, one sync worker, so the worker is the one
   process that reads the body) on the benchmark's own database (``crm_bench_documents`` +
   ``BENCH_DATABASE_SUFFIX``, created and migrated) and Redis (``BENCH_REDIS_URL``); its
   files under a temporary MEDIA_ROOT, or with ``BENCH_STORAGE=s3`` in a bucket of a moto
   S3 server started for the run (``FILE_STORAGE=s3``).
2. The worker's RSS when idle (after one small upload has loaded everything), then after
   serving a trivial signed-in page (``/bench/floor/signed-in/``): the memory baseline.
3. The upload: a PDF of ``BENCH_UPLOAD_MB`` (100 × ``BENCH_SCALE``) MB posted as a browser
   does (multipart, one file) to the document's upload URL. The worker's peak RSS while it
   runs is read from the kernel (``VmHWM``, reset just before through
   ``/proc/<pid>/clear_refs``) and from samples every 20 ms; its time gives MB/s.
4. The speed baseline: the same bytes written to the same disk by a plain streamed copy
   (``shutil.copyfileobj``, 1 MB chunks), in this process.

It prints the figures and whether the peak is under the target; nothing is asserted.
"""

import contextlib
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench import env  # noqa: E402
from bench.processes import free_port, stop_process, wait_for_port  # noqa: E402

DATABASE = env.database_name("crm_bench_documents")
DATABASE_URL = env.database_url("crm_bench_documents")
REDIS_URL = env.redis_url()
UPLOAD_MB = env.scaled(100, override="BENCH_UPLOAD_MB")
STORAGE = os.environ.get("BENCH_STORAGE", "filesystem")
TARGET_MB = 150
USERNAME = "bench-documents"
MB = 1024 * 1024
STATIC_ROOT = ROOT / "var" / "bench" / "static"  # shared with the other benchmarks


def settings_env(media: Path, s3: dict | None) -> dict[str, str]:
    """The production settings (with the floor pages, bench/web_urls.py) on this run's
    database, Redis and storage."""
    environment = {
        "DJANGO_SETTINGS_MODULE": "bench.web_settings",
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "127.0.0.1",
        "MEDIA_ROOT": str(media),
        "STATIC_ROOT": str(STATIC_ROOT),
        "DOCUMENTS_MAX_UPLOAD_BYTES": str((UPLOAD_MB + 10) * MB),
        "FILE_STORAGE": "s3" if s3 else "filesystem",
        "PYTHONUNBUFFERED": "1",
    }
    environment.update(s3 or {})
    return environment


# --------------------------------------------------------------------------- set-up


def start_s3() -> tuple[subprocess.Popen, dict]:
    """A moto S3 server (a process of its own) with a bucket; the S3_* settings for it."""
    import boto3

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    if not wait_for_port(port, 60):
        raise SystemExit("the moto S3 server did not start")
    bucket = f"bench-{uuid.uuid4().hex[:8]}"
    url = f"http://127.0.0.1:{port}"
    boto3.client(
        "s3",
        endpoint_url=url,
        aws_access_key_id="bench",
        aws_secret_access_key="bench",  # noqa: S106 - moto takes any key
        region_name="us-east-1",
    ).create_bucket(Bucket=bucket)
    return process, {
        "S3_BUCKET": bucket,
        "S3_ENDPOINT_URL": url,
        "S3_REGION": "us-east-1",
        "S3_ACCESS_KEY_ID": "bench",
        "S3_SECRET_ACCESS_KEY": "bench",
    }


def prepare() -> tuple[int, str, str]:
    """Migrates, then a sales rep of a company with an empty document; returns the
    document's id, a session key of the rep and a CSRF token."""
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.middleware.csrf import _get_new_csrf_string
    from django.test import Client

    from crm.groups import DEFAULT_GROUPS, ensure_default_groups
    from crm.models import Company, Membership, User
    from documents import services

    call_command("migrate", verbosity=0)
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
    call_command("collectstatic", interactive=False, verbosity=0)  # the pages' error answers
    ensure_default_groups()
    company, _created = Company.objects.get_or_create(
        name="Bench Feltöltő Kft.", defaults={"tax_number": "10773381-2-44"}
    )
    user = User.objects.filter(username=USERNAME).first()
    if user is None:
        user = User.objects.create_user(
            USERNAME, password=secrets.token_urlsafe(16), last_name="Feltöltő", first_name="Fanni"
        )
        Membership.objects.create(user=user, company=company)
        user.groups.add(Group.objects.get(name=DEFAULT_GROUPS["sales_rep"]))
        user.current_company = company
        user.save(update_fields=["current_company"])
    document = services.document_create(
        user=user, company_id=company.pk, title="Bench nagy fájl", type="other"
    )
    client = Client()  # its force_login writes a real session in the configured store
    client.force_login(user, backend="crm.access.CachingModelBackend")
    return document.pk, client.cookies[settings.SESSION_COOKIE_NAME].value, _get_new_csrf_string()


def multipart_file(path: Path, size: int, boundary: str) -> int:
    """Writes the request body a browser sends for one file of ``size`` bytes (a PDF):
    multipart/form-data with the field ``file``. Returns the file's own size."""
    head = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="Nagy szerződés.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    pdf_head = b"%PDF-1.4\n% bench\n"
    with open(path, "wb") as out:
        out.write(head + pdf_head)
        left = size - len(pdf_head)
        block = os.urandom(MB)
        while left > 0:
            out.write(block[: min(left, MB)])
            left -= MB
        out.write(f"\r\n--{boundary}--\r\n".encode())
    return size


# --------------------------------------------------------------------------- measuring


def worker_pid(master: int) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                with contextlib.suppress(OSError), open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == master:
                        return int(entry)
        time.sleep(0.2)
    raise SystemExit("gunicorn started no worker")


def status_kb(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def reset_peak(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


class Sampler(threading.Thread):
    """The worker's RSS every 20 ms until stopped; ``peak`` in kB."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.running = pid, 0, True

    def run(self):
        while self.running:
            with contextlib.suppress(OSError):
                self.peak = max(self.peak, status_kb(self.pid, "VmRSS"))
            time.sleep(0.02)

    def stop(self) -> int:
        self.running = False
        self.join()
        return self.peak


def upload(base: str, cookies: dict, csrf: str, document: int, body: Path, boundary: str):
    import requests

    with open(body, "rb") as data:
        answer = requests.post(
            f"{base}/documents/{document}/upload/",
            data=data,
            cookies=cookies,
            headers={
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Accept": "application/json",
                "X-CSRFToken": csrf,
                "Referer": base + f"/documents/{document}/files/",
            },
            timeout=600,
        )
    if answer.status_code != 200:
        raise SystemExit(f"upload failed: HTTP {answer.status_code} {answer.text[:300]}")
    return answer.json()


def mb(kb: int) -> float:
    return kb / 1024


def main() -> int:
    env.ensure_database(DATABASE)
    work = Path(tempfile.mkdtemp(prefix="crm-bench-documents-"))
    media = work / "media"
    moto, s3 = (None, None)
    web = None
    try:
        if STORAGE == "s3":
            moto, s3 = start_s3()
        environment = settings_env(media, s3)
        os.environ.update(environment)
        document, session_key, csrf = prepare()
        from django.conf import settings

        cookies = {settings.SESSION_COOKIE_NAME: session_key, settings.CSRF_COOKIE_NAME: csrf}
        port = free_port()
        log = work / "gunicorn.log"
        web = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "crm.wsgi:application",
                "--workers",
                "1",
                "--bind",
                f"127.0.0.1:{port}",
                "--timeout",
                "600",
            ],
            cwd=ROOT,
            env={**os.environ, **environment},
            stdout=open(log, "wb"),  # noqa: SIM115 - closed with the process
            stderr=subprocess.STDOUT,
        )
        if not wait_for_port(port, 60):
            raise SystemExit("gunicorn did not start:\n" + log.read_text()[-3000:])
        base = f"http://127.0.0.1:{port}"
        pid = worker_pid(web.pid)
        boundary = uuid.uuid4().hex
        size = UPLOAD_MB * MB
        print(
            f"Documents: a {UPLOAD_MB} MB upload through gunicorn (1 sync worker), storage:"
            f" {STORAGE}",
            flush=True,
        )
        # warm-up: a small upload loads every module the upload path needs
        small = work / "small.body"
        multipart_file(small, 64 * 1024, boundary)
        upload(base, cookies, csrf, document, small, boundary)
        idle = status_kb(pid, "VmRSS")
        import requests

        answer = requests.get(base + "/bench/floor/signed-in/", cookies=cookies, timeout=30)
        assert answer.status_code == 200, answer.status_code
        trivial = status_kb(pid, "VmRSS")

        body = work / "big.body"
        multipart_file(body, size, boundary)
        exact = reset_peak(pid)
        sampler = Sampler(pid)
        sampler.start()
        began = time.monotonic()
        result = upload(base, cookies, csrf, document, body, boundary)
        seconds = time.monotonic() - began
        sampled = sampler.stop()
        peak = max(sampled, status_kb(pid, "VmHWM") if exact else 0)

        # baseline: the same bytes through a plain streamed copy onto the same disk
        target = work / "plain.copy"
        began = time.monotonic()
        with open(body, "rb") as source, open(target, "wb") as out:
            shutil.copyfileobj(source, out, MB)
            out.flush()
            os.fsync(out.fileno())
        plain = time.monotonic() - began
        target.unlink()

        above = mb(peak - idle)
        print(f"  stored as version {result['version']} of document {document}", flush=True)
        print(f"  web worker RSS, idle (after a warm-up upload): {mb(idle):8.1f} MB")
        print(
            f"  baseline: after a trivial signed-in page:       {mb(trivial):8.1f} MB"
            f" ({mb(trivial - idle):+.1f} MB)"
        )
        how = "kernel VmHWM" if exact else "20 ms samples"
        print(
            f"  peak during the {UPLOAD_MB} MB upload ({how}):   {mb(peak):8.1f} MB"
            f" ({above:+.1f} MB above idle; target < {TARGET_MB} MB:"
            f" {'ok' if above < TARGET_MB else 'TOO MUCH'})"
        )
        print(
            f"  upload: {seconds:6.2f} s, {UPLOAD_MB / seconds:7.1f} MB/s"
            f"  | baseline, plain streamed copy to the same disk: {plain:6.2f} s,"
            f" {UPLOAD_MB / plain:7.1f} MB/s"
        )
        return 0
    except SystemExit:
        if web is not None and (work / "gunicorn.log").exists():
            print((work / "gunicorn.log").read_text()[-4000:], file=sys.stderr)
        raise
    finally:
        if web is not None:
            stop_process(web)
        if moto is not None:
            stop_process(moto)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
