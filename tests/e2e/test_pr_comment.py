"""The opt-in pull-request comment (`pr-comment: true`): one comment per workflow and job,
created once and updated in place, never a person's comment, nothing outside a pull
request or for a fork, and never a failed plan when the API refuses. Runs the real
entrypoint against real databases and the local GitHub API stand-in."""

from __future__ import annotations

import json
from pathlib import Path

from devtools import seed
from devtools.fake_github import FakeGitHub
from devtools.runner import RunResult
from refsync.pr_comment import COMMENT_LIMIT, body, marker
from tests.fixtures.pg import DbPair
from tests.fixtures.safety import plan

REPO = "octo-org/app"


def _event(workdir: Path, head: str = REPO, number: int = 7) -> Path:
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "event.json"
    path.write_text(
        json.dumps({"pull_request": {"number": number, "head": {"repo": {"full_name": head}}}})
    )
    return path


def _run(dbpair: DbPair, workdir: Path, gh: FakeGitHub, **env: str) -> RunResult:
    extra = {
        **gh.environ(),
        "INPUT_PR-COMMENT": "true",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(_event(workdir / "event")),
        "GITHUB_WORKFLOW": "refsync",
        "GITHUB_JOB": "plan",
        **env,
    }
    return plan(dbpair, workdir, extra=extra)


def _comment_calls(gh: FakeGitHub) -> list[str]:
    return [f"{r.method} {r.path}" for r in gh.requests if "/issues/" in r.path]


def test_one_comment_created_then_updated_in_place(dbpair: DbPair, tmp_path: Path) -> None:
    """The first plan creates the comment (marker, then the summary with its digest); the
    next plan, after dev changed, edits that same comment: one comment, the new digest."""
    seed.seed_demo(dbpair.admin("dev"), dbpair.admin("prod"))
    with FakeGitHub() as gh:
        first = _run(dbpair, tmp_path / "first", gh)
        assert first.returncode == 0, first.stdout + first.stderr
        assert "posted the plan as a comment on pull request #7" in first.stdout
        [comment] = gh.comments
        text = str(comment["body"])
        assert text.startswith(marker("refsync", "plan") + "\n## refsync dry-run")
        assert first.outputs["plan-digest"] in text
        assert text.removeprefix(marker("refsync", "plan") + "\n").strip() == (
            first.summary.strip()
        )

        dbpair.admin("dev").execute("UPDATE services SET description = 'changed again'")
        second = _run(dbpair, tmp_path / "second", gh)
        assert second.returncode == 0, second.stdout + second.stderr
        assert "updated the plan comment on pull request #7" in second.stdout
        assert len(gh.comments) == 1
        assert second.outputs["plan-digest"] in str(gh.comments[0]["body"])
        assert second.outputs["plan-digest"] != first.outputs["plan-digest"]
    calls = _comment_calls(gh)
    assert calls[-2:] == [
        f"GET /repos/{REPO}/issues/7/comments",
        f"PATCH /repos/{REPO}/issues/comments/{comment['id']}",
    ]
    assert "POST" not in " ".join(calls[2:])


def test_a_persons_comment_with_the_marker_is_never_edited(dbpair: DbPair, tmp_path: Path) -> None:
    """A comment by a person that quotes the marker stays as it is; refsync posts its own."""
    seed.seed_demo(dbpair.admin("dev"), dbpair.admin("prod"))
    with FakeGitHub() as gh:
        gh.comment(7, marker("refsync", "plan") + "\nmy notes", "mallory", "User")
        result = _run(dbpair, tmp_path, gh)
    assert result.returncode == 0, result.stdout + result.stderr
    mine, theirs = gh.comments
    assert mine["body"] == marker("refsync", "plan") + "\nmy notes"
    assert str(theirs["body"]).startswith(marker("refsync", "plan") + "\n## refsync dry-run")


def test_no_comment_for_a_fork_or_outside_a_pull_request(dbpair: DbPair, tmp_path: Path) -> None:
    """A pull request from a fork, or a push, sends no comment request; the plan passes."""
    seed.seed_demo(dbpair.admin("dev"), dbpair.admin("prod"))
    with FakeGitHub() as gh:
        fork = _run(
            dbpair,
            tmp_path / "fork",
            gh,
            GITHUB_EVENT_PATH=str(_event(tmp_path / "forkevent", head="someone/app")),
        )
        push = _run(dbpair, tmp_path / "push", gh, GITHUB_EVENT_NAME="push")
    assert fork.returncode == push.returncode == 0
    assert "comes from a fork, whose token cannot write comments" in fork.stdout
    assert "not a pull request event (push); no comment posted" in push.stdout
    assert _comment_calls(gh) == []
    assert gh.comments == []


def test_an_api_refusal_is_a_warning_not_a_failure(dbpair: DbPair, tmp_path: Path) -> None:
    """When the token may not comment (HTTP 403), the plan still exits 0 with its outputs,
    and the log says which permission the job needs."""
    seed.seed_demo(dbpair.admin("dev"), dbpair.admin("prod"))
    with FakeGitHub(comment_status=403) as gh:
        result = _run(dbpair, tmp_path, gh)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.outputs["has-changes"] == "true"
    assert "could not post the plan comment on pull request #7: GET answered HTTP 403" in (
        result.stdout
    )
    assert "pull-requests: write" in result.stdout


def test_a_summary_too_long_for_a_comment_is_cut_at_a_section() -> None:
    """A summary over GitHub's comment limit becomes its head (title, identities, digest,
    counts) and a pointer to the job summary, under the limit."""
    head = "## refsync dry-run: 1 to create\n\n| table | create |\n|---|---:|\n| t | 1 |"
    summary = head + "\n### t\n\n" + "| x |\n" * 20_000
    text = body(summary, marker("w", "j"), "https://example.invalid/run/1")
    assert len(text) <= COMMENT_LIMIT
    assert text.startswith(marker("w", "j") + "\n" + head)
    assert "The full plan is too long for a comment" in text
    assert "[job summary](https://example.invalid/run/1)" in text
