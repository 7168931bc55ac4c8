"""Fault tests of the outbox with real processes: a Celery worker killed in the middle of a batch,
the SMTP server down, Redis restarted. After each, every message is sent exactly once: one
``sent`` row and one ``sent`` event per message, and whatever reached the SMTP server twice
carries the same Message-ID both times (so the receiving side can drop the copy).

The workers run with ``crm.settings`` (the production settings): ``tests.settings`` sends mail
to Django's in-memory backend, and these tests need it to go over SMTP (``EMAIL_URL``).
"""

import email
import email.policy
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict

import pytest
import redis
from aiosmtpd.controller import Controller
from django.db import transaction
from django.utils import timezone

from crm.celery import app
from crm.messaging import services, tasks
from crm.messaging.models import Message, MessageEvent, Status
from crm.models import Company, WorkerHeartbeat
from tests.conftest import ROOT, RecordingHandler, free_port, subprocess_env, wait_for
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]

CELERY = [sys.executable, "-m", "celery", "-A", "crm"]


@pytest.fixture
def company():
    return Company.objects.create(name="Első Kft.", tax_number="10773381-2-44")


@pytest.fixture
def queue(company):
    """Queues e-mails through the real service, each to its own recipient."""
    sender = UserFactory(username="kuldo")
    counter = iter(range(1, 100_000))

    def make(**kwargs):
        n = next(counter)
        defaults = {
            "channel": "email",
            "recipient": f"vevo{n}@pelda.hu",
            "company": company,
            "created_by": sender,
            "subject": f"Árajánlat {n}",
            "text": f"Tisztelt Vevő {n}!",
            "html": f"<p>Tisztelt <b>Vevő {n}</b>!</p>",
            "idempotency_key": f"fault-{n}",
        }
        defaults.update(kwargs)
        return services.message_queue(**defaults)

    return make


@pytest.fixture
def enqueued(monkeypatch):
    """Keeps the after-commit ``send_messages`` tasks off the shared test broker; the test decides
    who sends (a batch worker, or ``deliver`` in this process). Returns the ids enqueued."""
    ids: list[int] = []
    monkeypatch.setattr(services, "_enqueue_send", ids.extend)
    return ids


def start_worker(log_path, *, smtp_port: int, redis_url: str, queue: str, **env):
    environment = subprocess_env(
        DJANGO_SETTINGS_MODULE="crm.settings",
        REDIS_URL=redis_url,
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
        EMAIL_TIMEOUT="5",
        **env,
    )
    log = open(log_path, "wb")  # noqa: SIM115 - closed by stop()
    process = subprocess.Popen(
        [
            *CELERY,
            "worker",
            "--pool",
            "solo",
            "--queues",
            queue,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel",
            "INFO",
            "--hostname",
            f"faults-{uuid.uuid4().hex[:8]}@%h",
        ],
        cwd=ROOT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    process.log = log
    return process


def stop(process, *, kill: bool = False) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    if getattr(process, "log", None):
        process.log.close()


def received(handler: RecordingHandler) -> list[tuple[str, str]]:
    """(recipient, Message-ID) of every mail the SMTP server accepted, in order."""
    out = []
    for envelope in list(handler.messages):
        mail = email.message_from_bytes(
            envelope.original_content or envelope.content, policy=email.policy.default
        )
        out.extend((rcpt, mail["Message-ID"]) for rcpt in envelope.rcpt_tos)
    return out


def assert_sent_exactly_once(messages: list[Message], handler: RecordingHandler) -> int:
    """Every message is sent once in the database and reached the server under its own
    Message-ID; returns how many copies arrived more than once (always the same Message-ID)."""
    ids = [m.pk for m in messages]
    rows = {m.pk: m for m in Message.objects.filter(pk__in=ids)}
    assert {pk: rows[pk].status for pk in ids} == dict.fromkeys(ids, Status.SENT)
    sent_events = Counter(
        MessageEvent.objects.filter(message_id__in=ids, to_status=Status.SENT).values_list(
            "message_id", flat=True
        )
    )
    assert sent_events == dict.fromkeys(ids, 1)

    by_recipient = defaultdict(list)
    for rcpt, message_id in received(handler):
        by_recipient[rcpt].append(message_id)
    assert set(by_recipient) == {rows[pk].recipient for pk in ids}
    for pk in ids:
        copies = by_recipient[rows[pk].recipient]
        # A second copy is the same mail: same Message-ID, the one fixed at queue time.
        assert set(copies) == {rows[pk].provider_id}, (rows[pk].recipient, copies)
    assert {mid for _rcpt, mid in received(handler)} == {rows[pk].provider_id for pk in ids}
    return sum(len(copies) - 1 for copies in by_recipient.values())


def deliver_everything() -> int:
    total = 0
    for _ in range(100):
        sent = services.deliver()
        total += sent
        if (
            not sent
            and not Message.objects.filter(
                status=Status.QUEUED, next_attempt_at__lte=timezone.now()
            ).exists()
        ):
            break
    return total


# --- a worker killed in the middle of a batch ---------------------------------------------


def test_a_worker_killed_mid_batch_loses_nothing_and_resends_under_the_same_message_id(
    queue, enqueued, smtp_server, settings, tmp_path
):
    count = 30
    smtp_server.delay = 0.05  # the batch takes about 1.5 s: time to kill it half-way
    with transaction.atomic():
        messages = [queue() for _ in range(count)]
    assert len(enqueued) == count
    worker_queue = f"faults-{uuid.uuid4().hex}"
    worker = start_worker(
        tmp_path / "worker.log",
        smtp_port=settings.EMAIL_PORT,
        redis_url=settings.REDIS_URL,
        queue=worker_queue,
        MESSAGING_BATCH_SIZE=str(count),  # one batch: every message claimed by this worker
    )
    try:
        app.send_task("crm.messaging.send_due", kwargs={"seconds": 60}, queue=worker_queue)
        half_way = wait_for(lambda: len(smtp_server.messages) >= 10, timeout=60, interval=0.005)
        assert half_way, (tmp_path / "worker.log").read_text()
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        stop(worker, kill=True)

    smtp_server.delay = 0
    time.sleep(0.3)  # the mail the server was reading when the worker died
    before_kill = len(smtp_server.messages)
    statuses = Counter(Message.objects.values_list("status", flat=True))
    recorded = set(Message.objects.filter(status=Status.SENT).values_list("recipient", flat=True))
    unrecorded = {rcpt for rcpt, _mid in received(smtp_server)} - recorded
    print(  # noqa: T201 - shown with -s: how many mails the kill caught in flight
        f"\nkilled after {before_kill} of {count} mails reached the server; rows: {dict(statuses)}"
    )
    assert 0 < before_kill < count
    assert statuses[Status.SENDING] > 0, "the worker finished before it was killed"
    assert statuses[Status.SENDING] + statuses[Status.SENT] == count

    # Not stuck yet: reconcile waits MESSAGING_STUCK_AFTER_SECONDS; then the rows come back.
    assert services.reconcile_stuck() == 0
    settings.MESSAGING_STUCK_AFTER_SECONDS = 0
    assert services.reconcile_stuck() == statuses[Status.SENDING]
    deliver_everything()

    duplicates = assert_sent_exactly_once(messages, smtp_server)
    print(  # noqa: T201
        f"resent after the kill: {duplicates} duplicate deliveries, each under the Message-ID"
        " of its first copy"
    )
    # Exactly the mails that reached the server but whose outcome the dead worker had not yet
    # written (the whole batch is recorded at its end) went out twice; nothing else did.
    assert duplicates == len(unrecorded)
    assert len(smtp_server.messages) == count + duplicates
    reconciled = MessageEvent.objects.filter(
        message__in=messages, from_status=Status.SENDING, to_status=Status.QUEUED
    )
    assert reconciled.count() == statuses[Status.SENDING]


# --- the SMTP server down -----------------------------------------------------------------


def test_the_smtp_server_down_keeps_the_messages_queued_until_it_is_back(queue, enqueued, settings):
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 2
    count = 20
    with transaction.atomic():
        messages = [queue() for _ in range(count)]

    assert services.deliver() == 0
    rows = list(Message.objects.filter(pk__in=[m.pk for m in messages]))
    assert {r.status for r in rows} == {Status.QUEUED}
    assert {r.attempts for r in rows} == {1}
    assert all("ConnectionRefusedError" in r.last_error for r in rows), rows[0].last_error
    assert all(r.next_attempt_at > timezone.now() for r in rows)
    assert services.deliver() == 0  # not due yet: the server is not hammered

    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        Message.objects.update(next_attempt_at=timezone.now())
        assert deliver_everything() == count
        assert len(handler.messages) == count
        assert assert_sent_exactly_once(messages, handler) == 0
    finally:
        controller.stop()
    attempts = set(Message.objects.values_list("attempts", flat=True))
    assert attempts == {2}


# --- Redis restarted ----------------------------------------------------------------------


class PrivateRedis:
    """A redis-server of this test only, without persistence: a restart loses every task."""

    def __init__(self, directory):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.directory = directory
        self.process = None

    def ping(self) -> bool:
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert wait_for(self.ping, timeout=10, interval=0.05), "redis-server did not start"

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def _use_broker(url: str) -> None:
    """Points this process's Celery app at ``url`` (a fresh connection pool)."""
    app.conf.broker_url = url
    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def private_redis(settings, tmp_path):
    server = PrivateRedis(tmp_path)
    server.start()
    settings.REDIS_URL = server.url
    settings.CELERY_BROKER_URL = server.url
    old_broker = app.conf.broker_url
    _use_broker(server.url)
    try:
        yield server
    finally:
        _use_broker(old_broker)
        server.stop()


def test_redis_restarted_queues_survive_in_the_database_and_go_out_once(
    queue, smtp_server, private_redis, settings, client, caplog, tmp_path
):
    log = tmp_path / "worker.log"
    worker = start_worker(
        log, smtp_port=settings.EMAIL_PORT, redis_url=private_redis.url, queue="celery"
    )
    try:
        # The worker is up when its start-up heartbeat went through Redis.
        assert wait_for(lambda: WorkerHeartbeat.objects.exists(), timeout=40), log.read_text()
        first = queue()  # Redis up: the after-commit task sends it
        assert wait_for(
            lambda: Message.objects.filter(pk=first.pk, status=Status.SENT).exists(), timeout=20
        ), log.read_text()

        private_redis.stop()
        response = client.get("/healthz")
        assert response.status_code == 503
        assert response.json()["checks"]["redis"]["ok"] is False
        with transaction.atomic():
            during = [queue() for _ in range(5)]
        # The commit went through; only the enqueue failed, with a warning, not an error.
        assert caplog.text.count("could not enqueue message") == 5
        assert set(
            Message.objects.filter(pk__in=[m.pk for m in during]).values_list("status", "attempts")
        ) == {(Status.QUEUED, 0)}

        private_redis.start()  # empty: the tasks it had are gone
        response = client.get("/healthz")
        assert response.json()["checks"]["redis"]["ok"] is True
        assert response.status_code == 200, response.json()

        # send_due (beat sends it every 15 s) picks up what lost its task, through the worker
        # that reconnected by itself.
        tasks.send_due.delay(seconds=5)
        everything = [first, *during]
        assert wait_for(
            lambda: (
                Message.objects.filter(
                    pk__in=[m.pk for m in everything], status=Status.SENT
                ).count()
                == len(everything)
            ),
            timeout=60,
        ), log.read_text()
    finally:
        stop(worker)
    assert tasks.send_due(seconds=5) == 0  # nothing left over
    assert assert_sent_exactly_once(everything, smtp_server) == 0
