"""Started as root with no mode chosen, the hub is in server mode (one unprivileged system user per account; what
that mode guarantees is tested in test_server_mode.py), and `make hub` prints every account with its password."""

from __future__ import annotations

import os

import pytest

from hub.__main__ import banner
from hub.auth import issue_passwords
from hub.settings import HubSettings


def test_no_mode_chosen_means_server_as_root_and_demo_otherwise(tmp_path):
    s = HubSettings.from_env({"L2W_HUB_DATA": str(tmp_path)})
    assert s.mode == ("server" if os.geteuid() == 0 else "demo")
    assert HubSettings.from_env({"L2W_HUB_MODE": "demo"}).mode == "demo"


@pytest.mark.parametrize("mode", ["demo", "server"])
def test_banner_names_every_account_and_its_password(tmp_path, mode):
    s = HubSettings.from_env({"L2W_HUB_DATA": str(tmp_path), "L2W_HUB_MODE": mode, "L2W_HUB_PASSWORD": "shared-pw-12"})
    accounts = [*s.students, *s.instructors]
    issued = issue_passwords(accounts, tmp_path / "passwords.json", tmp_path / "credentials.csv")
    text = banner(s)
    for name in accounts:
        assert name in text
        assert (issued[name] if mode == "server" else "shared-pw-12") in text
    if mode == "server":
        assert "shared-pw-12" not in text
        assert all(f"{name}: {issued[name]}" in text for name in accounts)
