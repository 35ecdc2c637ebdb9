"""The wire layer shared by the plain and the asyncio client (docs/protocol.md): where the socket
is, how a frame is written and read, what a reply means."""

import json
import os
import struct
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import errors

SYSTEM_SOCKET = "/run/paca/pacad.sock"
EMBEDDED_SOCKET = os.path.join(".paca", "pacad.sock")
# The largest frame either side accepts.
MAX_FRAME = 16 << 20

ProgressCallback = Callable[[Dict[str, Any]], None]


def socket_candidates(explicit: Optional[str] = None) -> List[str]:
    """The sockets to try, in pacactl's order: the one named, else $PACA_SOCKET, else
    ./.paca/pacad.sock when it exists (the embedded default), else /run/paca/pacad.sock."""
    if explicit:
        return [explicit]
    variable = os.environ.get("PACA_SOCKET")
    if variable:
        return [variable]
    paths = []
    if os.path.exists(EMBEDDED_SOCKET):
        paths.append(EMBEDDED_SOCKET)
    paths.append(SYSTEM_SOCKET)
    return paths


def frame(message: Dict[str, Any]) -> bytes:
    body = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if len(body) > MAX_FRAME:
        raise errors.FrameTooLarge(
            "the request is %d bytes, over the protocol's 16 MiB" % len(body), code=-32006, method=message.get("method")
        )
    return struct.pack(">I", len(body)) + body


def frame_length(prefix: bytes, method: Optional[str]) -> int:
    (length,) = struct.unpack(">I", prefix)
    if length > MAX_FRAME:
        raise errors.ProtocolError("the daemon sent a frame of %d bytes, over the protocol's 16 MiB" % length, method=method)
    return length


def decode(body: bytes, method: Optional[str]) -> Dict[str, Any]:
    try:
        message = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise errors.ProtocolError("the daemon's reply is not UTF-8 JSON: %s" % error, method=method) from None
    if not isinstance(message, dict):
        raise errors.ProtocolError("the daemon's reply is not a JSON object", method=method)
    return message


def request(request_id: int, method: str, params: Dict[str, Any]) -> Dict[str, Any]:
    """A request with the params that are not None (None means "the daemon's default")."""
    message: Dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
    present = {name: value for name, value in params.items() if value is not None}
    if present:
        message["params"] = present
    return message


def with_progress(params: Dict[str, Any], on_progress: Optional[ProgressCallback]) -> Dict[str, Any]:
    if on_progress is not None:
        params = dict(params)
        params["progress"] = True
    return params


def classify(message: Dict[str, Any]) -> Tuple[str, Any]:
    """("progress", (request id, params)) for a progress notification, ("reply", id) for a reply,
    ("other", None) for a notification this client does not know (ignored: later protocol
    versions may add some)."""
    if "id" not in message and message.get("method") == "progress":
        params = message.get("params")
        if isinstance(params, dict):
            return "progress", (params.get("id"), params)
        return "other", None
    if "id" in message and ("result" in message or "error" in message):
        return "reply", message["id"]
    return "other", None


def outcome(reply: Dict[str, Any], method: Optional[str]) -> Any:
    """The reply's result, or its error raised."""
    if "error" in reply:
        raise errors.from_reply(reply["error"], method)
    return reply.get("result")


def attached_length(result: Any) -> Optional[int]:
    """How many raw bytes follow this reply in their own frame (`restore.read` with binary)."""
    if isinstance(result, dict) and isinstance(result.get("attached"), int):
        return result["attached"]
    return None
