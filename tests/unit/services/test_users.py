"""User names and passwords are checked before anything is stored; changes reach the caches."""

from __future__ import annotations

import pytest

from batchtask.domain.errors import Conflict, InvalidInput, UserNotFound
from batchtask.domain.user import Role
from batchtask.services.password import PasswordHasher
from batchtask.services.users import (
    MAX_USERNAME_LENGTH,
    UserService,
    check_password,
    check_username,
)
from batchtask.storage.memory import MemoryStore
from tests.conftest import FakeClock

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    "name",
    ["", "   ", "a:b", "two words", "tab\there", "bell\x07", "x" * (MAX_USERNAME_LENGTH + 1)],
)
def test_unusable_user_names_are_refused(name: str) -> None:
    """Basic authentication splits on ':'; spaces and control characters cannot be typed back."""
    with pytest.raises(InvalidInput) as refused:
        check_username(name)
    assert refused.value.field == "username"


def test_a_user_name_is_trimmed() -> None:
    assert check_username("  ann  ") == "ann"


@pytest.mark.parametrize("password", ["short", "x" * 1025])
def test_passwords_outside_8_to_1024_characters_are_refused(password: str) -> None:
    with pytest.raises(InvalidInput, match=r"passwords are 8\.\.1024 characters"):
        check_password(password)


async def test_changes_reach_the_caches_and_removal_forgets_the_user(
    store: MemoryStore, clock: FakeClock
) -> None:
    """A new password, disabling and removal each tell ``on_change``; a removed user is gone."""
    changed: list[int] = []
    users = UserService(
        store, clock, PasswordHasher(memory_cost=64, time_cost=1, parallelism=1),
        on_change=changed.append,
    )  # fmt: skip
    ann = await users.add("ann", "password one", Role.user)
    assert ann.display_name == "ann"
    with pytest.raises(Conflict):
        await users.add("ann", "password two", Role.user)
    await users.set_password("ann", "password two")
    await users.set_active("ann", False)
    assert (await users.get("ann")).active is False
    assert (await users.remove("ann")).associate_id == ann.associate_id
    assert changed[:2] == [ann.associate_id, ann.associate_id]
    with pytest.raises(UserNotFound):
        await users.get("ann")
    assert await users.all() == []
