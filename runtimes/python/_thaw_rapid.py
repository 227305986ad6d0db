"""Runtime API client (spec section 1) over one persistent HTTP/1.1 connection.

Written on the C ``_socket`` module instead of ``http.client``: importing ``http.client`` pulls in
``email``, ``re``, ``socket`` and ``enum`` and costs about 20 ms, as much as starting the
interpreter, while ``_socket`` costs a fraction of a millisecond (measured with
``python -X importtime`` on 3.11 to 3.13). awslambdaric avoids the same cost with a C++ client.

Only what the Runtime API needs is implemented: requests with a ``Content-Length`` body, responses
with ``Content-Length``, ``Transfer-Encoding: chunked`` or read-until-close bodies. The long polls
on ``/next`` and SnapStart's ``/restore/next`` have no timeout (spec 1.1, 1.8). A connection that
the server closed while idle is detected by an empty read before any response byte, and the
request is sent once more on a new connection; that is safe because the server never saw the
first attempt.
"""

import _socket

_API_PREFIX = "/2018-06-01/runtime"
_ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"
_RECV_SIZE = 65536

# The error types of the SnapStart phases (awslambdaric FaultException): the header of the
# /init/error post when a before-snapshot hook or restore/next fails, and of /restore/error.
BEFORE_SNAPSHOT_ERROR = "Runtime.BeforeSnapshotError"
AFTER_RESTORE_ERROR = "Runtime.AfterRestoreError"


class RuntimeApiError(Exception):
    """The Runtime API answered unexpectedly or the connection broke."""


class LambdaRuntimeClientError(RuntimeApiError):
    """A SnapStart call (``restore/next``, ``restore/error``) was not answered as expected. Named
    as awslambdaric's error, because a failed ``restore/next`` is reported to the platform under
    that class name (the ``errorType`` of the ``Runtime.BeforeSnapshotError`` document)."""

    def __init__(self, endpoint, status, body):
        super().__init__(
            "Request to Lambda Runtime '%s' endpoint failed. Reason: '%d'. Response body: '%s'"
            % (endpoint, status, body.decode("utf-8", "replace"))
        )


class InvocationRequest:
    """One Invocation as returned by ``GET /next``: the raw body and the lower-case headers."""

    __slots__ = ("body", "headers")

    def __init__(self, body, headers):
        self.body = body
        self.headers = headers


class RapidClient:
    """Client for the Runtime API at ``host:port`` (the value of ``AWS_LAMBDA_RUNTIME_API``)."""

    def __init__(self, address):
        host, _, port = address.rpartition(":")
        if host.startswith("[") and host.endswith("]"):
            host = host[1:-1]
        self._host = host
        self._port = int(port)
        self._host_header = address.encode("latin-1")
        self._sock = None
        self._buffer = bytearray()

    def wait_next_invocation(self):
        """Blocks until an Invocation is assigned (``GET /next``)."""
        status, headers, body = self._request(b"GET", _API_PREFIX + "/invocation/next", None, ())
        if status != 200:
            raise RuntimeApiError(
                "Request to Lambda Runtime 'next' endpoint failed. Reason: '%d'. Response body: '%s'"
                % (status, body.decode("utf-8", "replace"))
            )
        return InvocationRequest(body, headers)

    def post_invocation_result(self, request_id, body, content_type):
        """``POST /response``. The answer's status is not acted on: a refused result (413, say)
        is the platform's to report, and the loop goes on to ``/next``, as awslambdaric does."""
        self._request(
            b"POST",
            "%s/invocation/%s/response" % (_API_PREFIX, _quote(request_id)),
            body,
            ((b"Content-Type", content_type.encode("latin-1")),),
        )

    def post_invocation_error(self, request_id, body, error_type):
        """``POST /error`` with the error document, naming its type in the error-type header."""
        self._request(
            b"POST",
            "%s/invocation/%s/error" % (_API_PREFIX, _quote(request_id)),
            body,
            ((b"Content-Type", b"application/json"),) + _error_type_header(error_type),
        )

    def post_init_error(self, body, error_type):
        """``POST /init/error``; the caller exits afterwards (spec 1.2). ``error_type`` goes in
        ``Lambda-Runtime-Function-Error-Type``: the document's own type, or
        ``Runtime.BeforeSnapshotError`` for a SnapStart failure before the Snapshot.

        :raises RuntimeApiError: when the answer is not 202, as awslambdaric raises.
        """
        status, _, answer = self._request(
            b"POST",
            _API_PREFIX + "/init/error",
            body,
            ((b"Content-Type", b"application/json"),) + _error_type_header(error_type),
        )
        if status != 202:
            raise RuntimeApiError(
                "Request to Lambda Runtime '/2018-06-01/runtime/init/error' endpoint failed. "
                "Reason: '%d'. Response body: '%s'" % (status, answer.decode("utf-8", "replace"))
            )

    def restore_next(self):
        """``GET /restore/next`` (SnapStart, spec 1.8): blocks while the platform takes the Snapshot
        and returns once this process is a restored clone. The answer has an empty body.

        :raises LambdaRuntimeClientError: on any status but 200, as awslambdaric raises.
        """
        endpoint = _API_PREFIX + "/restore/next"
        status, _, answer = self._request(b"GET", endpoint, None, ())
        if status != 200:
            raise LambdaRuntimeClientError(endpoint, status, answer)

    def post_restore_error(self, body):
        """``POST /restore/error`` with ``Lambda-Runtime-Function-Error-Type:
        Runtime.AfterRestoreError``; the caller exits afterwards (spec 1.8).

        :raises LambdaRuntimeClientError: when the answer is not 202, as awslambdaric raises.
        """
        endpoint = _API_PREFIX + "/restore/error"
        status, _, answer = self._request(
            b"POST",
            endpoint,
            body,
            ((b"Content-Type", b"application/json"),) + _error_type_header(AFTER_RESTORE_ERROR),
        )
        if status != 202:
            raise LambdaRuntimeClientError(endpoint, status, answer)

    # -- transport ---------------------------------------------------------------------------

    def _request(self, method, path, body, headers):
        lines = [method + b" " + path.encode("latin-1") + b" HTTP/1.1", b"Host: " + self._host_header]
        for name, value in headers:
            lines.append(name + b": " + value)
        if body is not None:
            lines.append(b"Content-Length: " + str(len(body)).encode("ascii"))
        message = b"\r\n".join(lines) + b"\r\n\r\n"
        if body:
            message += body

        reused = self._sock is not None
        try:
            return self._exchange(message)
        except _Stale:
            if not reused:
                raise RuntimeApiError("the Runtime API closed the connection without answering")
            return self._exchange(message)

    def _exchange(self, message):
        if self._sock is None:
            self._connect()
        try:
            try:
                self._sock.sendall(message)
            except (BrokenPipeError, ConnectionResetError):
                raise _Stale()
            return self._read_response()
        except _Stale:
            self._close()
            raise
        except OSError as error:
            self._close()
            raise RuntimeApiError("Runtime API connection failed: %s" % error) from error

    def _connect(self):
        # The host goes in as bytes: given a str, getaddrinfo encodes it with the "idna" codec,
        # whose import (re, stringprep, unicodedata) costs about 4 ms on the first connect.
        try:
            host = self._host.encode("ascii")
        except UnicodeEncodeError:
            host = self._host
        family, kind, proto, _, address = _socket.getaddrinfo(host, self._port, 0, _socket.SOCK_STREAM)[0]
        sock = _socket.socket(family, kind, proto)
        try:
            sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
            sock.connect(address)
        except OSError:
            sock.close()
            raise
        self._sock = sock
        self._buffer = bytearray()

    def _close(self):
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        self._buffer = bytearray()

    def _fill(self, stale_if_empty=False):
        try:
            chunk = self._sock.recv(_RECV_SIZE)
        except (ConnectionResetError, BrokenPipeError):
            if stale_if_empty:
                raise _Stale()
            raise
        if not chunk:
            if stale_if_empty:
                raise _Stale()
            raise RuntimeApiError("the Runtime API closed the connection mid-response")
        self._buffer += chunk

    def _read_response(self):
        buffer = self._buffer
        while True:
            end = buffer.find(b"\r\n\r\n")
            if end >= 0:
                break
            self._fill(stale_if_empty=not buffer)
        head = bytes(buffer[:end]).decode("latin-1").split("\r\n")
        del buffer[: end + 4]

        status = int(head[0].split(" ", 2)[1])
        headers = {}
        for line in head[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()

        if 100 <= status < 200:
            # Interim answers (100 Continue) carry no body; the real one follows.
            return self._read_response()

        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = self._read_chunked()
        elif "content-length" in headers:
            body = self._read_exactly(int(headers["content-length"]))
        elif status in (204, 304):
            body = b""
        else:
            body = self._read_until_close()

        if headers.get("connection", "").lower() == "close":
            self._close()
        return status, headers, body

    def _read_exactly(self, size):
        buffer = self._buffer
        while len(buffer) < size:
            self._fill()
        body = bytes(buffer[:size])
        del buffer[:size]
        return body

    def _read_line(self):
        buffer = self._buffer
        while True:
            end = buffer.find(b"\r\n")
            if end >= 0:
                line = bytes(buffer[:end])
                del buffer[: end + 2]
                return line
            self._fill()

    def _read_chunked(self):
        parts = []
        while True:
            size = int(self._read_line().split(b";", 1)[0].strip(), 16)
            if size == 0:
                # Trailer fields, if any, end with an empty line; they are not needed.
                while self._read_line():
                    pass
                return b"".join(parts)
            parts.append(self._read_exactly(size))
            self._read_line()

    def _read_until_close(self):
        while True:
            chunk = self._sock.recv(_RECV_SIZE)
            if not chunk:
                break
            self._buffer += chunk
        body = bytes(self._buffer)
        self._close()
        return body


class _Stale(Exception):
    """The connection was closed before any byte of the answer arrived."""


def _quote(request_id):
    # Request ids are UUIDs; anything outside the unreserved set is percent-encoded anyway.
    safe = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~"
    if all(c in safe for c in request_id):
        return request_id
    return "".join(c if c in safe else "".join("%%%02X" % b for b in c.encode("utf-8")) for c in request_id)


def _error_type_header(error_type):
    if isinstance(error_type, str) and error_type and error_type.isprintable() and error_type.isascii():
        return ((_ERROR_TYPE_HEADER.encode("ascii"), error_type.encode("ascii")),)
    return ()
