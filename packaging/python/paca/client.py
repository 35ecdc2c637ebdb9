"""The plain (blocking) client."""

import socket as _socket
import threading
from typing import Any, Dict, List, Optional

from . import _wire, errors
from ._methods import Methods


class Client(Methods):
    """A connection to pacad's control socket, opened on the first call and kept; reopened when
    the daemon closed it between calls (its idle timeout). One call at a time: calls from several
    threads wait for each other (an `AsyncClient` runs many at once on one connection).

    `socket` names the socket; without it the client tries what pacactl tries ($PACA_SOCKET,
    ./.paca/pacad.sock, /run/paca/pacad.sock). `timeout` (seconds) bounds each wait for a byte
    from the daemon; None waits as long as a backup takes."""

    def __init__(self, socket: Optional[str] = None, timeout: Optional[float] = None) -> None:
        self.socket_path = socket
        self.timeout = timeout
        self._sock: Optional[_socket.socket] = None
        self._lock = threading.Lock()
        self._next_id = 0

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            self._drop()

    def _drop(self) -> None:
        if self._sock is not None:
            try:
                self._sock.close()
            finally:
                self._sock = None

    def _connect(self, method: str) -> _socket.socket:
        problems = []
        for path in _wire.socket_candidates(self.socket_path):
            sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
            try:
                sock.settimeout(self.timeout)
                sock.connect(path)
                return sock
            except OSError as error:
                sock.close()
                problems.append("%s: %s" % (path, error.strerror or error))
        raise errors.DaemonUnavailable("cannot reach pacad (" + "; ".join(problems) + ")", method=method)

    def _closed_by_daemon(self, sock: _socket.socket) -> bool:
        """Whether the daemon closed this idle connection (a read would return end of file now)."""
        try:
            return sock.recv(1, _socket.MSG_PEEK | _socket.MSG_DONTWAIT) == b""
        except (BlockingIOError, InterruptedError):
            return False
        except OSError:
            return True

    def _read_exactly(self, count: int, method: str) -> bytes:
        assert self._sock is not None
        chunks = []
        remaining = count
        while remaining:
            try:
                chunk = self._sock.recv(min(remaining, 1 << 20))
            except _socket.timeout:
                raise errors.DaemonUnavailable("pacad did not answer within %s s" % self.timeout, method=method) from None
            except OSError as error:
                raise errors.DaemonUnavailable("the connection to pacad broke: %s" % (error.strerror or error), method=method) from None
            if not chunk:
                raise errors.DaemonUnavailable("pacad closed the connection before its reply", method=method)
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)

    def _read_frame(self, method: str) -> bytes:
        return self._read_exactly(_wire.frame_length(self._read_exactly(4, method), method), method)

    def _call(self, method: str, params: Dict[str, Any], on_progress: Optional[_wire.ProgressCallback] = None) -> Any:
        with self._lock:
            if self._sock is not None and self._closed_by_daemon(self._sock):
                self._drop()
            if self._sock is None:
                self._sock = self._connect(method)
            self._next_id += 1
            request_id = self._next_id
            data = _wire.frame(_wire.request(request_id, method, _wire.with_progress(params, on_progress)))
            try:
                try:
                    self._sock.sendall(data)
                except OSError as error:
                    raise errors.DaemonUnavailable("cannot send to pacad: %s" % (error.strerror or error), method=method) from None
                while True:
                    message = _wire.decode(self._read_frame(method), method)
                    kind, value = _wire.classify(message)
                    if kind == "progress":
                        if value[0] == request_id and on_progress is not None:
                            on_progress(value[1])
                    elif kind == "reply":
                        if value != request_id and value is not None:
                            raise errors.ProtocolError("a reply to request %r came while waiting for %d" % (value, request_id), method=method)
                        result = _wire.outcome(message, method)
                        attached = _wire.attached_length(result)
                        if attached is not None:
                            body = self._read_frame(method)
                            if len(body) != attached:
                                raise errors.ProtocolError("the attached frame is %d bytes, not %d" % (len(body), attached), method=method)
                            result["bytes"] = body
                        return result
            except (errors.DaemonUnavailable, errors.ProtocolError, errors.FrameTooLarge):
                # The stream's state is unknown: the next call starts a new connection.
                self._drop()
                raise

    # Conveniences.

    def backups(
        self,
        where: Optional[str] = None,
        sort: Optional[str] = None,
        limit: Optional[int] = None,
        set: Optional[str] = None,
        status: Optional[str] = None,
    ) -> List[Dict[str, Any]]:
        """The backups that match, as a list of records: `where` is the filter language of
        `pacactl backup list --where` (`'metrics.eval_loss < 0.4 and status == "complete"'`),
        `sort` a field, `-field` for descending (default: oldest first), `limit` the most to
        return (all when None: pages are fetched until the end)."""
        params: Optional[Dict[str, Any]] = _list_params(where, sort, limit, set, status)
        found: List[Dict[str, Any]] = []
        while params is not None:
            params = _next_page(params, self.backup_list(**params), found, limit)
        return found

    def backup_now(
        self, set: Optional[str] = None, reason: Optional[str] = None, wait: bool = True, full: bool = False
    ) -> Dict[str, Any]:
        """Backs `set` up now (`backup.create`): the backup's record once it has ended, or, with
        `wait=False`, its admission (`{set, status: running|queued, id}`). A failed backup raises
        `paca.StorageError` whose `data["backup"]` is its record."""
        return self.backup_create(set=set, reason=reason, wait=wait, full=full or None)


def _next_page(
    params: Dict[str, Any], page: Dict[str, Any], found: List[Dict[str, Any]], limit: Optional[int]
) -> Optional[Dict[str, Any]]:
    """Adds `page`'s backups to `found` (up to `limit`); the params of the next page, or None."""
    found += page.get("backups", [])
    if limit is not None:
        del found[limit:]
    offset = page.get("next_offset")
    if offset is None or (limit is not None and len(found) >= limit):
        return None
    following = dict(params, offset=offset)
    if limit is not None:
        following["limit"] = limit - len(found)
    return following


def _list_params(
    where: Optional[str], sort: Optional[str], limit: Optional[int], set: Optional[str], status: Optional[str]
) -> Dict[str, Any]:
    params: Dict[str, Any] = {"set": set, "status": status, "filter": where, "limit": limit}
    if sort:
        params["sort_by"] = sort[1:] if sort.startswith("-") else sort
        params["sort_order"] = "desc" if sort.startswith("-") else "asc"
    if where or sort:
        params["offset"] = 0
    return params
