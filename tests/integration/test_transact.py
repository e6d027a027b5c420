"""models.transact: puts, updates and deletes together or not at all."""

from __future__ import annotations

from encore.models import DELETE, PooledCode, bind_table, transact
from tests.conftest import START, STORE_ID


def _code(code: str) -> PooledCode:
    return PooledCode(*PooledCode.key(STORE_ID, "spring", code), code=code, added_at=START)


def test_a_delete_goes_with_the_other_writes_or_not_at_all(harness):
    bind_table(harness.stack.physical("EncoreTable"))
    pk, _ = PooledCode.key(STORE_ID, "spring")
    _code("TAKE-ME").save()

    # The delete's condition holds: the code leaves the pool as the other one arrives.
    assert transact([(_code("TAKE-ME"), DELETE, PooledCode.pk.exists()), (_code("NEW-ONE"), None, PooledCode.pk.does_not_exist())])
    assert harness.item(pk, "CODE#TAKE-ME") is None
    assert harness.item(pk, "CODE#NEW-ONE")["code"] == "NEW-ONE"

    # Taken already: the delete's condition fails, and the put with it is not written either.
    assert not transact([(_code("TAKE-ME"), DELETE, PooledCode.pk.exists()), (_code("OTHER"), None, None)])
    assert harness.item(pk, "CODE#OTHER") is None

    # Without a condition a delete of anything is written.
    assert transact([(_code("NEW-ONE"), DELETE, None)])
    assert harness.item(pk, "CODE#NEW-ONE") is None
