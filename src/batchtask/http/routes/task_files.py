"""``GET /admin/api/tasks/{id}/file``: the file a task produced (its ``FileName``).

Anyone who may read the task may download it (SPEC §10.3; every user may read every task). The
path is built from the task id and the stored plain file name only, and must resolve inside the
files folder, so no request can reach another file.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from batchtask.domain.errors import NotFound
from batchtask.http.routes.batch_task import caller, path_id


class FileNotFound(NotFound):
    """The task has no file."""


async def task_file(request: Request) -> Response:
    """The task's file as an attachment; 404 when the task or its file does not exist."""
    ctx, principal = await caller(request)
    task_id = path_id(request)
    task, _ = await ctx.tasks.get(principal, task_id)
    root = ctx.settings.files_path.resolve()
    name = task.file_name
    if not name or "/" in name or "\\" in name or name in {".", ".."}:
        raise FileNotFound(f"BatchTask id {task_id} has no file")
    path = (root / str(task_id) / name).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise FileNotFound(f"BatchTask id {task_id} has no file")
    return FileResponse(path, filename=name, headers={"cache-control": "no-store"})
