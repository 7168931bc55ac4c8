"""A local stand-in for Google's OAuth 2 token endpoint and the Calendar API v3 events
resource, on loopback, speaking the same HTTP and JSON, recording every request it gets.
The real client libraries are pointed at it through the settings (TESTING-NOTES.md)."""

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


def merge(stored: dict, patch: dict) -> None:
    """Google's patch semantics: fields not sent stay; objects merge field by field; a list
    or a plain value replaces; null clears."""
    for key, value in patch.items():
        if value is None:
            stored.pop(key, None)
        elif isinstance(value, dict) and isinstance(stored.get(key), dict):
            merge(stored[key], value)
        else:
            stored[key] = value


@dataclass
class Seen:
    method: str
    path: str
    headers: dict
    body: object


@dataclass
class FakeGoogle:
    requests: list[Seen] = field(default_factory=list)
    events: dict[str, dict] = field(default_factory=dict)
    revoked: bool = False  # refresh tokens refused with invalid_grant
    access_token: str = "access-1"
    expires_in: int = 3600
    next_id: int = 1

    def start(self) -> str:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, status: int, payload=None):
                data = b"" if payload is None else json.dumps(payload).encode()
                self.send_response(status)
                if payload is not None:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("Content-Type", "").startswith("application/json"):
                    return json.loads(raw or b"{}")
                return {k: v[0] for k, v in parse_qs(raw.decode()).items()}

            def _handle(self):
                body = self._body()
                path = urlsplit(self.path).path
                headers = {k.lower(): v for k, v in self.headers.items()}
                fake.requests.append(Seen(self.command, path, headers, body))
                if path == "/token":
                    return self._token(body)
                if self.headers.get("Authorization") != f"Bearer {fake.access_token}":
                    return self._answer(401, {"error": {"code": 401, "message": "bad token"}})
                parts = path.strip("/").split("/")
                # calendar/v3/calendars/{calendarId}/events[/{eventId}]
                if parts[:3] != ["calendar", "v3", "calendars"] or parts[4:5] != ["events"]:
                    return self._answer(404, {"error": {"code": 404, "message": "no such"}})
                event_id = parts[5] if len(parts) > 5 else None
                if self.command == "POST" and event_id is None:
                    new_id = f"evt{fake.next_id}"
                    fake.next_id += 1
                    fake.events[new_id] = dict(body, id=new_id)
                    return self._answer(200, fake.events[new_id])
                if event_id not in fake.events:
                    return self._answer(404, {"error": {"code": 404, "message": "Not Found"}})
                if self.command == "PUT":
                    fake.events[event_id] = dict(body, id=event_id)
                    return self._answer(200, fake.events[event_id])
                if self.command == "PATCH":
                    merge(fake.events[event_id], body)
                    return self._answer(200, fake.events[event_id])
                if self.command == "DELETE":
                    del fake.events[event_id]
                    return self._answer(204)
                return self._answer(405, {"error": {"code": 405, "message": "method"}})

            def _token(self, body):
                grant = body.get("grant_type")
                if grant == "authorization_code" and body.get("code") == "good-code":
                    return self._answer(
                        200,
                        {
                            "access_token": fake.access_token,
                            "refresh_token": "refresh-1",
                            "expires_in": fake.expires_in,
                            "token_type": "Bearer",
                            "scope": "https://www.googleapis.com/auth/calendar.events",
                        },
                    )
                if grant == "refresh_token" and not fake.revoked:
                    fake.access_token = f"access-{len(fake.requests)}"
                    return self._answer(
                        200,
                        {
                            "access_token": fake.access_token,
                            "expires_in": 3600,
                            "token_type": "Bearer",
                        },
                    )
                return self._answer(
                    400, {"error": "invalid_grant", "error_description": "Token has been revoked."}
                )

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle  # noqa: N815

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def set_reminders(self, event_id: str, reminders: dict) -> None:
        """The user changes the event's alarm in Google Calendar."""
        self.events[event_id]["reminders"] = reminders

    def calls(self, method: str) -> list[Seen]:
        return [r for r in self.requests if r.method == method and r.path != "/token"]
