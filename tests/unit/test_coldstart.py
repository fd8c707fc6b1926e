"""Which images the cold-start measurement removes besides its own (`devtools.coldstart`)."""

from __future__ import annotations

import pytest

from devtools.coldstart import _pulled_by_a_test

_DIGEST = "sha256:" + "a" * 64


@pytest.mark.parametrize(
    ("ref", "removed"),
    [
        (f"127.0.0.1:60117/octo-org/refsync-action@{_DIGEST}", True),
        # a developer's own loopback mirror, or the action image anywhere else: left alone
        (f"127.0.0.1:5000/library/python@{_DIGEST}", False),
        (f"127.0.0.1:5000/octo-org/refsync-action-fork@{_DIGEST}", False),
        (f"ghcr.io/octo-org/refsync-action@{_DIGEST}", False),
        (f"localhost:5000/octo-org/refsync-action@{_DIGEST}", False),
        # an image without a digest has no name to remove it by
        ("127.0.0.1:60117/octo-org/refsync-action@<none>", False),
    ],
)
def test_only_the_action_image_earlier_tests_pulled_over_loopback_is_removed(
    ref: str, removed: bool
) -> None:
    assert _pulled_by_a_test(ref) is removed
