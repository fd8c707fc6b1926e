"""A local fake of the GitHub REST endpoints refsync calls.

A real HTTP server on 127.0.0.1 (ephemeral port, own thread) that answers
``GET /repos/{repo}/actions/runs/{run_id}/approvals`` ("Get the review history for a
workflow run") and ``GET /repos/{repo}/environments/{name}`` ("Get an environment") with
the JSON shapes GitHub documents, in a chosen scenario. Tests use it to prove the check
fails closed; the demo uses it to simulate an approved run. It also keeps the comments of
one pull request, for the opt-in plan comment: "List issue comments"
(``GET /repos/{repo}/issues/{number}/comments``), "Create an issue comment" (``POST`` there)
and "Update an issue comment" (``PATCH /repos/{repo}/issues/comments/{id}``); set
``comment_status`` to make those answer an error::

    with FakeGitHub(scenario="approved", approvers=("alice",)) as gh:
        env = {**os.environ, **gh.environ()}
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Literal, get_args

Scenario = Literal[
    "approved",  # approved for the environment, which has required reviewers
    "approved-with-comment",  # a comment without a decision (state "pending"), then approved
    "rejected-elsewhere",  # approved for the environment, another environment rejected
    "rejected",  # only a rejection for the environment
    "approved-then-rejected",  # approved, then a later review rejected the same environment
    "rejected-then-approved",  # rejected, then approved: no order is documented, so refused
    "pending",  # no review yet: an empty history
    "other-environment",  # approved, but for another environment
    "no-required-reviewers",  # approved, but the environment only has a wait timer
    "empty-reviewers",  # a required_reviewers rule that lists nobody
    "environment-missing",  # approved, but GET environment answers 404
    "status-401",
    "status-403",
    "status-404",
    "status-500",
    "slow",  # answers after `delay` seconds (bounded), longer than a client timeout
    "malformed-json",
    "wrong-shape",  # an object where GitHub documents a list
    "missing-field",  # review entries without `environments`
]
SCENARIOS: tuple[str, ...] = get_args(Scenario)

#: The longest the "slow" scenario ever sleeps, so a test can never hang on it.
MAX_DELAY = 5.0
_STAMP = "2024-05-01T12:00:00Z"


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received. The token itself is never recorded."""

    method: str
    path: str
    headers: dict[str, str]
    authorized: bool  # Authorization was exactly `Bearer <expected token>`


def _user(login: str, uid: int) -> dict[str, object]:
    # GitHub's "simple-user" shape.
    return {
        "login": login,
        "id": uid,
        "node_id": f"MDQ6VXNlcj{uid}",
        "avatar_url": f"https://avatars.example.invalid/u/{uid}",
        "gravatar_id": "",
        "url": f"https://api.example.invalid/users/{login}",
        "html_url": f"https://example.invalid/{login}",
        "type": "User",
        "site_admin": False,
    }


def _environment_ref(repository: str, name: str, eid: int) -> dict[str, object]:
    return {
        "id": eid,
        "node_id": f"MDExOkVudmlyb25tZW50{eid}",
        "name": name,
        "url": f"https://api.example.invalid/repos/{repository}/environments/{name}",
        "html_url": f"https://example.invalid/{repository}/deployments/activity_log"
        f"?environments_filter={name}",
        "created_at": _STAMP,
        "updated_at": _STAMP,
    }


@dataclass
class FakeGitHub:
    """Context manager running the fake API; `url` is what GITHUB_API_URL should be."""

    scenario: Scenario = "approved"
    approvers: tuple[str, ...] = ("alice",)
    environment: str = "production"
    token: str = "ghs_fake-token-for-tests"
    repository: str = "octo-org/app"
    run_id: str = "4242"
    delay: float = 2.0
    #: the pull request's comments, GitHub's "issue-comment" shape; tests may seed it
    comments: list[dict[str, object]] = field(default_factory=list)
    #: an HTTP status every comment endpoint answers with instead (403: no permission)
    comment_status: int | None = None
    requests: list[RecordedRequest] = field(default_factory=list, init=False)
    _server: ThreadingHTTPServer | None = field(default=None, init=False, repr=False)
    _thread: threading.Thread | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {self.scenario!r}; one of {SCENARIOS}")

    @property
    def url(self) -> str:
        """The base URL of the running fake API."""
        if self._server is None:
            raise RuntimeError("FakeGitHub is not running; use it as a context manager")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def environ(self) -> dict[str, str]:
        """The variables the entrypoint needs to verify an approval against this fake."""
        return {
            "GITHUB_API_URL": self.url,
            "GITHUB_REPOSITORY": self.repository,
            "GITHUB_RUN_ID": self.run_id,
            "GITHUB_RUN_ATTEMPT": "1",
            "INPUT_GITHUB-TOKEN": self.token,
            "INPUT_APPROVAL-ENVIRONMENT": self.environment,
        }

    def __enter__(self) -> FakeGitHub:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        server.daemon_threads = True  # a "slow" answer must not hold up shutdown
        self._server = server
        # A short poll interval keeps shutdown (and so each test) fast.
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def record(self, request: RecordedRequest) -> None:
        """Store a received request (thread-safe)."""
        with self._lock:
            self.requests.append(request)

    # --- answers -------------------------------------------------------------------

    def comment(self, number: int, text: str, login: str, kind: str) -> dict[str, object]:
        """A new comment in GitHub's "issue-comment" shape, stored on the pull request."""
        cid = 9000 + len(self.comments)
        user = {**_user(login, 41898282 if kind == "Bot" else 100 + cid), "type": kind}
        doc: dict[str, object] = {
            "id": cid,
            "node_id": f"IC_kwDO{cid}",
            "url": f"{self.url}/repos/{self.repository}/issues/comments/{cid}",
            "html_url": f"https://example.invalid/{self.repository}/pull/{number}#c{cid}",
            "body": text,
            "user": user,
            "created_at": _STAMP,
            "updated_at": _STAMP,
            "issue_url": f"{self.url}/repos/{self.repository}/issues/{number}",
            "author_association": "NONE" if kind == "Bot" else "MEMBER",
            "performed_via_github_app": None,
        }
        self.comments.append(doc)
        return doc

    def reviews(self) -> object:
        """The body of "Get the review history for a workflow run" for the scenario."""
        env = _environment_ref(self.repository, self.environment, 161088068)
        other = _environment_ref(self.repository, "staging", 161088069)
        if self.scenario == "pending":
            return []
        if self.scenario == "wrong-shape":
            return {"total_count": 1, "approvals": []}
        state = "rejected" if self.scenario == "rejected" else "approved"
        target = other if self.scenario == "other-environment" else env
        entries: list[dict[str, object]] = [
            {
                "environments": [target],
                "state": state,
                "user": _user(login, 1000 + i),
                "comment": f"Reviewed the plan ({login})",
            }
            for i, login in enumerate(self.approvers)
        ]
        if self.scenario == "missing-field":
            for entry in entries:
                del entry["environments"]
        # Entries in the order they were given; GitHub documents no time or id per entry.
        mallory = _user("mallory", 2000)
        rejection: dict[str, object] = {
            "environments": [env],
            "state": "rejected",
            "user": mallory,
            "comment": "No",
        }
        if self.scenario == "approved-then-rejected":
            entries.append(rejection)
        elif self.scenario == "rejected-then-approved":
            entries.insert(0, rejection)
        elif self.scenario == "rejected-elsewhere":
            entries.append({**rejection, "environments": [other]})
        elif self.scenario == "approved-with-comment":
            entries.insert(0, {**rejection, "state": "pending", "comment": "Looking"})
        return entries

    def environment_doc(self) -> object:
        """The body of "Get an environment" for the scenario."""
        doc: dict[str, object] = _environment_ref(self.repository, self.environment, 161088068)
        rules: list[dict[str, object]] = [
            {"id": 3736, "node_id": "MDQ6R2F0ZTM3MzY=", "type": "wait_timer", "wait_timer": 0},
        ]
        if self.scenario != "no-required-reviewers":
            reviewers = [] if self.scenario == "empty-reviewers" else self.approvers
            rules.append(
                {
                    "id": 3755,
                    "node_id": "MDQ6R2F0ZTM3NTU=",
                    "prevent_self_review": True,
                    "type": "required_reviewers",
                    "reviewers": [
                        {"type": "User", "reviewer": _user(login, 1000 + i)}
                        for i, login in enumerate(reviewers)
                    ],
                }
            )
        rules.append({"id": 3756, "node_id": "MDQ6R2F0ZTM3NTY=", "type": "branch_policy"})
        doc["protection_rules"] = rules
        doc["deployment_branch_policy"] = {
            "protected_branches": False,
            "custom_branch_policies": True,
        }
        return doc


def _handler_for(fake: FakeGitHub) -> type[BaseHTTPRequestHandler]:  # noqa: C901 - the handler class defined here counts toward it; each of its methods is short
    class Handler(BaseHTTPRequestHandler):
        server_version = "FakeGitHub/1"

        def log_message(self, format: str, *args: object) -> None:
            """Stay quiet: tests assert on `fake.requests`, not on stderr."""

        def do_POST(self) -> None:
            self._comment_call("POST")

        def do_PATCH(self) -> None:
            self._comment_call("PATCH")

        def _comment_call(self, method: str) -> None:
            auth = self.headers.get("Authorization", "")
            headers = {
                k.lower(): v for k, v in self.headers.items() if k.lower() != "authorization"
            }
            parts = urllib.parse.urlsplit(self.path)
            authorized = auth == f"Bearer {fake.token}"
            fake.record(RecordedRequest(method, parts.path, headers, authorized))
            length = min(int(self.headers.get("Content-Length") or 0), 1024 * 1024)
            try:
                payload = json.loads(self.rfile.read(length) or b"null")
            except ValueError:
                payload = None
            self._send(*self._comments(method, parts.path, parts.query, payload, authorized))

        def _comments(  # noqa: PLR0911 - one return per answer GitHub documents for this path
            self, method: str, path: str, query: str, payload: object, authorized: bool
        ) -> tuple[int, bytes]:
            if fake.comment_status is not None:
                return fake.comment_status, _message("Resource not accessible by integration")
            if not authorized:
                return 401, _message("Bad credentials")
            prefix = f"/repos/{fake.repository}/issues/"
            text = payload.get("body") if isinstance(payload, dict) else None
            tail = path.removeprefix(prefix).split("/")
            if not path.startswith(prefix):
                return 404, _message("Not Found")
            if len(tail) == 2 and tail[1] == "comments" and tail[0].isdigit():
                if method == "GET":
                    args = urllib.parse.parse_qs(query)
                    size = min(int(args.get("per_page", ["30"])[0]), 100)
                    page = int(args.get("page", ["1"])[0])
                    shown = fake.comments[(page - 1) * size : page * size]
                    return 200, json.dumps(shown).encode()
                if method == "POST" and isinstance(text, str):
                    doc = fake.comment(int(tail[0]), text, "github-actions[bot]", "Bot")
                    return 201, json.dumps(doc).encode()
            if len(tail) == 2 and tail[0] == "comments" and method == "PATCH":
                for doc in fake.comments:
                    if str(doc["id"]) == tail[1] and isinstance(text, str):
                        doc["body"] = text
                        return 200, json.dumps(doc).encode()
            return 404 if method != "POST" else 422, _message("Not Found")

        def do_GET(self) -> None:
            auth = self.headers.get("Authorization", "")
            # Lower-cased names: HTTP header names are case-insensitive (urllib sends
            # `X-github-api-version`).
            headers = {
                k.lower(): v for k, v in self.headers.items() if k.lower() != "authorization"
            }
            parts = urllib.parse.urlsplit(self.path)
            path = parts.path
            if path.endswith("/comments") and "/issues/" in path:
                fake.record(RecordedRequest("GET", path, headers, auth == f"Bearer {fake.token}"))
                self._send(
                    *self._comments("GET", path, parts.query, None, auth == f"Bearer {fake.token}")
                )
                return
            fake.record(
                RecordedRequest(
                    method="GET",
                    path=path,
                    headers=headers,
                    authorized=auth == f"Bearer {fake.token}",
                )
            )
            status, body = self._answer(path, auth == f"Bearer {fake.token}")
            self._send(status, body)

        def _answer(self, path: str, authorized: bool) -> tuple[int, bytes]:
            scenario = fake.scenario
            if scenario == "slow":
                time.sleep(min(fake.delay, MAX_DELAY))
            if scenario.startswith("status-"):
                code = int(scenario.removeprefix("status-"))
                return code, _message({401: "Bad credentials"}.get(code, "Simulated failure"))
            if not authorized:
                return 401, _message("Bad credentials")
            if scenario == "malformed-json":
                return 200, b'{"this is": not JSON'
            prefix = f"/repos/{fake.repository}"
            if path == f"{prefix}/actions/runs/{fake.run_id}/approvals":
                return 200, json.dumps(fake.reviews()).encode()
            env_prefix = f"{prefix}/environments/"
            if path.startswith(env_prefix) and scenario != "environment-missing":
                name = urllib.parse.unquote(path.removeprefix(env_prefix))
                if name.casefold() == fake.environment.casefold():
                    return 200, json.dumps(fake.environment_doc()).encode()
            return 404, _message("Not Found")

        def _send(self, status: int, body: bytes) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (the "slow" scenario): nothing to answer

    return Handler


def _message(text: str) -> bytes:
    # GitHub's error body shape.
    return json.dumps(
        {"message": text, "documentation_url": "https://docs.example.invalid/rest"}
    ).encode()
