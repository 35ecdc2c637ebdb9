"""The asyncio client: many calls at once on one connection, replies matched by id."""

import asyncio
import itertools
from typing import Any, Dict, List, Optional, Tuple

from . import _wire, errors
from ._methods import Methods
from .client import _list_params, _next_page


class AsyncClient(Methods):
    """Like `paca.Client`, but every method is a coroutine, and calls made concurrently share
    one connection (the daemon answers up to 32 at a time, each as it finishes): a script can
    wait for a long `backup_create` and ask `daemon_status` meanwhile.

        async with paca.AsyncClient() as client:
            record = await client.backup_now("experiments")
    """

    def __init__(self, socket: Optional[str] = None, timeout: Optional[float] = None) -> None:
        self.socket_path = socket
        self.timeout = timeout
        self._reader: Optional[asyncio.StreamReader] = None
        self._writer: Optional[asyncio.StreamWriter] = None
        self._pump: Optional["asyncio.Task[None]"] = None
        self._waiting: Dict[int, Tuple["asyncio.Future[Any]", str, Optional[_wire.ProgressCallback]]] = {}
        self._ids = itertools.count(1)
        # Made in the loop that first uses it (Python 3.9 binds a lock to a loop when it is made).
        self._connecting: Optional[asyncio.Lock] = None

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    async def close(self) -> None:
        writer, pump = self._writer, self._pump
        self._reader = self._writer = self._pump = None
        if pump is not None:
            pump.cancel()
        if writer is not None:
            writer.close()
            try:
                await writer.wait_closed()
            except OSError:
                pass
        self._fail_all(errors.DaemonUnavailable("the client was closed"))

    async def _ensure_connected(self, method: str) -> asyncio.StreamWriter:
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:
            if self._writer is not None and self._pump is not None and not self._pump.done():
                return self._writer
            problems = []
            for path in _wire.socket_candidates(self.socket_path):
                try:
                    self._reader, self._writer = await asyncio.open_unix_connection(path, limit=_wire.MAX_FRAME + 4)
                except OSError as error:
                    problems.append("%s: %s" % (path, error.strerror or error))
                    continue
                self._pump = asyncio.get_running_loop().create_task(self._read_replies(self._reader))
                return self._writer
            raise errors.DaemonUnavailable("cannot reach pacad (" + "; ".join(problems) + ")", method=method)

    async def _read_frame(self, reader: asyncio.StreamReader) -> bytes:
        prefix = await reader.readexactly(4)
        return await reader.readexactly(_wire.frame_length(prefix, None))

    async def _read_replies(self, reader: asyncio.StreamReader) -> None:
        """Reads every message on the connection and hands each to the call it belongs to."""
        try:
            while True:
                message = _wire.decode(await self._read_frame(reader), None)
                kind, value = _wire.classify(message)
                if kind == "progress":
                    entry = self._waiting.get(value[0])
                    if entry is not None and entry[2] is not None:
                        entry[2](value[1])
                elif kind == "reply":
                    entry = self._waiting.pop(value, None) if isinstance(value, int) else None
                    body = None
                    result = message.get("result")
                    attached = _wire.attached_length(result)
                    if "error" not in message and attached is not None:
                        body = await self._read_frame(reader)
                    if entry is None:
                        if value is None:
                            # An error to no request in particular (a frame refused): it ends the connection.
                            raise errors.from_reply(message.get("error"), None)
                        continue
                    future, method, _ = entry
                    try:
                        outcome = _wire.outcome(message, method)
                        if body is not None:
                            outcome["bytes"] = body
                    except errors.Error as error:
                        if not future.done():
                            future.set_exception(error)
                        continue
                    if not future.done():
                        future.set_result(outcome)
        except asyncio.CancelledError:
            raise
        except asyncio.IncompleteReadError:
            self._fail_all(errors.DaemonUnavailable("pacad closed the connection before its reply"))
        except errors.Error as error:
            self._fail_all(error)
        except OSError as error:
            self._fail_all(errors.DaemonUnavailable("the connection to pacad broke: %s" % (error.strerror or error)))
        finally:
            if self._reader is reader:
                self._reader = None
                if self._writer is not None:
                    self._writer.close()
                self._writer = None

    def _fail_all(self, error: errors.Error) -> None:
        waiting, self._waiting = self._waiting, {}
        for future, method, _ in waiting.values():
            if not future.done():
                future.set_exception(type(error)(error.message, code=error.code, data=error.data, method=method))

    async def _call(self, method: str, params: Dict[str, Any], on_progress: Optional[_wire.ProgressCallback] = None) -> Any:
        writer = await self._ensure_connected(method)
        request_id = next(self._ids)
        data = _wire.frame(_wire.request(request_id, method, _wire.with_progress(params, on_progress)))
        future: "asyncio.Future[Any]" = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = (future, method, on_progress)
        try:
            writer.write(data)
            await writer.drain()
        except OSError as error:
            self._waiting.pop(request_id, None)
            raise errors.DaemonUnavailable("cannot send to pacad: %s" % (error.strerror or error), method=method) from None
        try:
            return await asyncio.wait_for(future, self.timeout) if self.timeout is not None else await future
        except asyncio.TimeoutError:
            self._waiting.pop(request_id, None)
            raise errors.DaemonUnavailable("pacad did not answer within %s s" % self.timeout, method=method) from None

    # Conveniences, as on `paca.Client`.

    async def backups(
        self,
        where: Optional[str] = None,
        sort: Optional[str] = None,
        limit: Optional[int] = None,
        set: Optional[str] = None,
        status: Optional[str] = None,
    ) -> List[Dict[str, Any]]:
        """See `paca.Client.backups`."""
        params: Optional[Dict[str, Any]] = _list_params(where, sort, limit, set, status)
        found: List[Dict[str, Any]] = []
        while params is not None:
            params = _next_page(params, await self.backup_list(**params), found, limit)
        return found

    async def backup_now(
        self, set: Optional[str] = None, reason: Optional[str] = None, wait: bool = True, full: bool = False
    ) -> Dict[str, Any]:
        """See `paca.Client.backup_now`."""
        return await self.backup_create(set=set, reason=reason, wait=wait, full=full or None)
