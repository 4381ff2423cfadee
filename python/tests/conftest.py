"""The plugin's own tests: each writes a test file a user would write and
runs pytest on it with pytester, then asserts on what the user sees."""

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def tutorial(pytester: pytest.Pytester) -> Path:
    """The tutorial's senders (examples/tutorial/stats.py), for the tests
    under pytester to run."""
    return EXAMPLES / "tutorial" / "stats.py"
