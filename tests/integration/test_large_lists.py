"""Long lists (``GET BatchTask/All`` and the agents' lists) are streamed a page at a time on both
engines: every task comes, in id order, in the same bytes as a short list's, and the server holds
a page or two rather than the whole answer (issue 11 #6: 91 MB in one answer, 398 MB peak)."""

from __future__ import annotations

import json
import tempfile
import tracemalloc

import defusedxml.ElementTree as ET
import httpx

from batchtask.domain.task import NewTask
from batchtask.services.tasks import LIST_PAGE
from tests.integration.conftest import LiveServer
from tests.integration.test_seed_endpoint import basic

COUNT = LIST_PAGE * 30 + 7


def seed(server: LiveServer, count: int) -> list[int]:
    """``count`` tasks of alice's, each with a 2 KB ParameterObject."""
    owner = server.users["alice"].associate_id

    async def create(services: object) -> list[int]:
        store = services.store  # type: ignore[attr-defined]
        return [
            await store.tasks.create(
                NewTask(
                    name="batchtask.sleep",
                    associate_id=owner,
                    description=f"task {index}",
                    parameters={"p": "x" * 2000},
                ),
                now=server.clock.now(),
                actor="test",
            )
            for index in range(count)
        ]

    return server.call(create)


def read_streamed(server: LiveServer, method: str, url: str, **kwargs: object) -> tuple[int, bytes]:
    """(peak bytes traced in this process, which runs the server, while answering; the body).

    The client spools the body to a file, so its own memory stays out of the figure."""
    with (
        httpx.Client(base_url=server.base_url, timeout=60) as client,
        tempfile.TemporaryFile() as spool,
    ):
        tracemalloc.start()
        try:
            with client.stream(method, url, headers=basic("alice"), **kwargs) as response:  # type: ignore[arg-type]
                assert response.status_code == 200
                for chunk in response.iter_bytes():
                    spool.write(chunk)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        spool.seek(0)
        return peak, spool.read()


def test_all_tasks_are_streamed_with_bounded_memory(server: LiveServer) -> None:
    """~16 MB of JSON: every task in id order, while the server's peak stays well below the
    answer's size (before: about three times the answer)."""
    ids = seed(server, COUNT)
    peak, body = read_streamed(server, "GET", "/api/v1/BatchTask/All")
    tasks = json.loads(body)
    assert [task["Id"] for task in tasks] == ids
    assert tasks[-1]["ParameterObject"] == {"p": "x" * 2000}
    assert peak < len(body) / 2, (peak, len(body))


def test_agent_lists_and_xml_are_streamed_alike(server: LiveServer) -> None:
    """The agents' lists and XML answers stream too, and parse to every task."""
    ids = seed(server, LIST_PAGE * 2 + 7)
    _, body = read_streamed(
        server, "POST", "/api/v1/Agents/Batch/GetBatchTaskInfosByAssociates",
        json={"AssociateIds": [-1, 0]}, params={"$format": "xml"},
    )  # fmt: skip
    root = ET.fromstring(body)
    assert root.tag == "ArrayOfBatchTaskInfo"
    assert [int(entry.findtext("Id") or 0) for entry in root] == ids


def test_a_streamed_list_is_the_bytes_of_the_same_list_at_once(server: LiveServer) -> None:
    """A list of one page (Content-Length) and the same tasks streamed page by page give the same
    bytes: the tail of the long list equals the short list of those tasks."""
    ids = seed(server, LIST_PAGE + 1)
    with server.client() as client:
        long = client.get("/api/v1/BatchTask/All", headers=basic("alice"))
        head = client.head("/api/v1/BatchTask/All", headers=basic("alice"))
        one = client.post(
            "/api/v1/Agents/Batch/GetBatchTaskInfosByAssociates",
            json={"AssociateIds": [server.users["alice"].associate_id]},
            headers=basic("alice"),
        )
    assert long.headers.get("transfer-encoding") == "chunked"
    assert "content-length" in one.headers or one.headers.get("transfer-encoding") == "chunked"
    assert long.content == one.content
    assert [task["Id"] for task in long.json()] == ids
    assert head.status_code == 200
    assert head.content == b""
