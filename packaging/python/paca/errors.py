"""The errors the client raises: one class per protocol error code (docs/protocol.md, "Errors")."""

from typing import Any, Dict, Optional, Type


class Error(Exception):
    """A call pacad refused or could not answer. `code` is the protocol's error code (None when
    the daemon could not be reached or its reply could not be read), `message` is for people,
    `data` carries the structured detail a method documents (a failed backup's record, say)."""

    code: Optional[int] = None

    def __init__(self, message: str, code: Optional[int] = None, data: Any = None, method: Optional[str] = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.message = message
        self.data = data
        self.method = method

    def __str__(self) -> str:
        where = "%s: " % self.method if self.method else ""
        code = " (%d)" % self.code if self.code is not None else ""
        return "%s%s%s" % (where, self.message, code)


class DaemonUnavailable(Error):
    """No pacad answered on any socket tried, or the connection broke before the reply."""


class ProtocolError(Error):
    """The daemon's reply did not follow the protocol (a bug on one side, or not pacad)."""


class ParseError(Error):
    code = -32700


class InvalidRequest(Error):
    code = -32600


class MethodNotFound(Error):
    code = -32601


class InvalidParams(Error):
    code = -32602


class InternalError(Error):
    code = -32603


class NotFound(Error):
    code = -32001


class Busy(Error):
    code = -32002


class StorageError(Error):
    code = -32003


class ValidationError(Error):
    code = -32004


class PermissionDenied(Error):
    code = -32005


class FrameTooLarge(Error):
    code = -32006


class Conflict(Error):
    code = -32007


BY_CODE: Dict[int, Type[Error]] = {
    cls.code: cls  # type: ignore[misc]
    for cls in (
        ParseError,
        InvalidRequest,
        MethodNotFound,
        InvalidParams,
        InternalError,
        NotFound,
        Busy,
        StorageError,
        ValidationError,
        PermissionDenied,
        FrameTooLarge,
        Conflict,
    )
}


def from_reply(error: Any, method: Optional[str]) -> Error:
    """The exception for a reply's `error` member."""
    if not isinstance(error, dict) or not isinstance(error.get("code"), int):
        return ProtocolError("the reply's error is not an object with an integer code: %r" % (error,), method=method)
    code = error["code"]
    message = error.get("message") if isinstance(error.get("message"), str) else "error %d" % code
    return BY_CODE.get(code, Error)(message, code=code, data=error.get("data"), method=method)
