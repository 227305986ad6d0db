"""Log output as AWS's Python runtime (awslambdaric ``bootstrap.py``) writes it (spec section 4.2).

- ``print`` and ``sys.stderr`` writes are flushed at once (awslambdaric wraps both streams).
- The root logger gets a handler formatting ``[LEVEL]\\t{ISO time}Z\\t{requestId}\\t{message}\\n``
  (Text), or awslambdaric's JSON object (``AWS_LAMBDA_LOG_FORMAT=JSON``); times are UTC
  (``logging.Formatter.converter = time.gmtime``, which AWS sets for every formatter);
  ``AWS_LAMBDA_LOG_LEVEL`` sets the root level (``TRACE`` means ``DEBUG``).
- An unhandled error is one record, ``[ERROR] Type: message`` then the traceback, lines joined
  by ``\\r`` and indentation turned into no-break spaces, exactly as awslambdaric prints it.
- With ``_LAMBDA_TELEMETRY_LOG_FD`` set, records are framed on that fd instead (spec 3.1).

The ``logging`` package is not imported up front: it costs about 10 ms (it pulls in ``re``,
``traceback``, ``threading``, ``string``), as much as the interpreter start. Instead a one-shot
import hook waits for the first ``import logging``, by the function or any library, and installs
the handler right after the module has run, before the importer sees it. From the function's
side nothing differs: the handler is there whenever ``logging`` is, so ``logging.basicConfig()``
is the no-op it is on AWS.
"""

import os
import sys
import time

_DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S"
_ERROR_LINE_SEPARATOR = "\r"
_NO_BREAK_SPACE = "\u00a0"

# Frame types of the telemetry log protocol, by level (awslambdaric lambda_runtime_log_utils).
_TEXT_FRAMES = {0: 0xA55A0003, 10: 0xA55A000B, 20: 0xA55A000F, 30: 0xA55A0013, 40: 0xA55A0017, 50: 0xA55A001B}
_JSON_FRAMES = {0: 0xA55A0002, 10: 0xA55A000A, 20: 0xA55A000E, 30: 0xA55A0012, 40: 0xA55A0016, 50: 0xA55A001A}

_current_request_id = None
_current_tenant_id = None


def set_request(request_id, tenant_id):
    """Stamps later log records with this Invocation's ids."""
    global _current_request_id, _current_tenant_id
    _current_request_id = request_id
    _current_tenant_id = tenant_id


def is_json_format():
    value = os.environ.get("AWS_LAMBDA_LOG_FORMAT")
    return bool(value) and value.upper() == "JSON"


def _level_from_env():
    value = os.environ.get("AWS_LAMBDA_LOG_LEVEL")
    if value is None:
        return ""
    return {"TRACE": "DEBUG"}.get(value, value).upper()


class Unbuffered:
    """A stream wrapper that flushes after every write, as awslambdaric installs on stdout and
    stderr; everything else is delegated to the wrapped stream."""

    def __init__(self, stream):
        self.stream = stream

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, exc_tb):
        pass

    def __getattr__(self, attr):
        return getattr(self.stream, attr)

    def write(self, msg):
        self.stream.write(msg)
        self.stream.flush()

    def writelines(self, msgs):
        self.stream.writelines(msgs)
        self.stream.flush()


class StandardLogSink:
    """Writes records to whatever ``sys.stdout`` is at the time.

    A record's inner newlines become ``\r`` and it always ends with one newline, so that it is one
    line, hence one log event, for the platform reading stdout: on AWS each ``logging`` record is
    one CloudWatch event because it is framed on the telemetry fd, and AWS's Node.js runtime does
    this same replacement on stdout. (awslambdaric's own stdout sink, used only without that fd,
    writes records as they are, and one formatted with a traceback then lacks its final newline.)
    """

    def log(self, msg, frame_type=None):
        body = msg[:-1] if msg.endswith("\n") else msg
        sys.stdout.write(body.replace("\n", "\r") + "\n")

    def log_error(self, message_lines):
        # A newline inside the error message itself is folded too, for the same reason as above.
        text = _ERROR_LINE_SEPARATOR.join(message_lines).replace("\n", _ERROR_LINE_SEPARATOR)
        sys.stdout.write(text + "\n")


class FramedTelemetryLogSink:
    """Frames on the telemetry fd: 4-byte type, 4-byte length, 8-byte microsecond timestamp,
    message; big-endian."""

    def __init__(self, fd, json_format):
        self._file = os.fdopen(int(fd), "wb", 0)
        self._error_frame = (_JSON_FRAMES if json_format else _TEXT_FRAMES)[40]

    def log(self, msg, frame_type=None):
        encoded = msg.encode("utf8")
        timestamp = time.time_ns() // 1000
        self._file.write(
            (frame_type or _TEXT_FRAMES[0]).to_bytes(4, "big")
            + len(encoded).to_bytes(4, "big")
            + timestamp.to_bytes(8, "big")
            + encoded
        )

    def log_error(self, message_lines):
        self.log("\n".join(message_lines), frame_type=self._error_frame)


def create_log_sink():
    fd = os.environ.pop("_LAMBDA_TELEMETRY_LOG_FD", None)
    if fd is not None:
        return FramedTelemetryLogSink(fd, is_json_format())
    return StandardLogSink()


# -- the root logger handler, installed when logging is first imported ---------------------------


def install_logging(log_sink):
    """Arranges for the root logger to get the Lambda handler, now if ``logging`` is already
    loaded, else when it is first imported."""
    if "logging" in sys.modules:
        _configure_logging(sys.modules["logging"], log_sink)
        return
    sys.meta_path.insert(0, _LoggingImportHook(log_sink))


class _LoggingImportHook:
    """A meta path finder that only answers for ``logging``, once: it finds the real module with
    the other finders and wraps its loader so the module is configured right after it runs."""

    def __init__(self, log_sink):
        self._log_sink = log_sink

    def find_spec(self, name, path=None, target=None):
        if name != "logging":
            return None
        sys.meta_path.remove(self)
        for finder in sys.meta_path:
            find_spec = getattr(finder, "find_spec", None)
            spec = find_spec(name, path, target) if find_spec is not None else None
            if spec is not None:
                break
        else:
            return None
        if spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader = _ConfiguringLoader(spec.loader, self._log_sink)
        return spec


class _ConfiguringLoader:
    def __init__(self, loader, log_sink):
        self._loader = loader
        self._log_sink = log_sink

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        # Put the real loader back first, so nothing of this hook stays visible on the module.
        module.__loader__ = self._loader
        if module.__spec__ is not None:
            module.__spec__.loader = self._loader
        self._loader.exec_module(module)
        if isinstance(getattr(module, "Handler", None), type):
            _configure_logging(module, self._log_sink)
        # else: a module of the function's own named logging shadowed the standard one; leave it.

    def __getattr__(self, attr):
        return getattr(self._loader, attr)


def _configure_logging(logging, log_sink):
    logging.Formatter.converter = time.gmtime
    json_format = is_json_format()
    level = _level_from_env()
    # Per-level frame types are used when a format or level is configured, as in awslambdaric.
    framed_by_level = json_format or bool(level)

    class LambdaLoggerHandler(logging.Handler):
        def __init__(self, sink):
            logging.Handler.__init__(self)
            self.log_sink = sink

        def emit(self, record):
            msg = self.format(record)
            if framed_by_level:
                frame = getattr(record, "_frame_type", None) or _TEXT_FRAMES.get(_frame_level(record))
                self.log_sink.log(msg, frame_type=frame)
            else:
                self.log_sink.log(msg)

    class LambdaLoggerFilter(logging.Filter):
        def filter(self, record):
            record.aws_request_id = _current_request_id or ""
            record.tenant_id = _current_tenant_id
            return True

    handler = LambdaLoggerHandler(log_sink)
    if json_format:
        handler.setFormatter(_json_formatter(logging))
    else:
        handler.setFormatter(
            logging.Formatter(
                "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n",
                _DATETIME_FORMAT,
            )
        )
    root = logging.getLogger()
    if level in logging._nameToLevel:
        root.setLevel(level)
    handler.addFilter(LambdaLoggerFilter())
    root.addHandler(handler)


def _frame_level(record):
    return min(50, max(0, record.levelno)) // 10 * 10


_RESERVED_FIELDS = frozenset(
    (
        "name", "msg", "args", "levelname", "levelno", "pathname", "filename", "module", "exc_info",
        "exc_text", "stack_info", "lineno", "funcName", "created", "msecs", "relativeCreated",
        "thread", "threadName", "processName", "process", "aws_request_id", "tenant_id", "_frame_type",
    )
)


def _json_formatter(logging):
    """awslambdaric's JsonFormatter: timestamp, level, message, logger, error fields, requestId,
    location, then any extra record attributes; null fields dropped."""
    import json
    import traceback
    from datetime import datetime, timezone

    encode = json.JSONEncoder(ensure_ascii=False).encode

    class JsonFormatter(logging.Formatter):
        def __init__(self):
            super().__init__(datefmt=_DATETIME_FORMAT)

        def formatTime(self, record, datefmt=None):
            moment = datetime.fromtimestamp(record.created, tz=timezone.utc)
            return moment.strftime(_DATETIME_FORMAT + ".%f")[:-3] + "Z"

        def format(self, record):
            record.levelno = _frame_level(record)
            record.levelname = logging.getLevelName(record.levelno)
            record._frame_type = _JSON_FRAMES.get(record.levelno, _JSON_FRAMES[0])
            exc_info = record.exc_info
            result = {
                "timestamp": self.formatTime(record, self.datefmt),
                "level": record.levelname,
                "message": record.getMessage(),
                "logger": record.name,
                "stackTrace": traceback.format_tb(exc_info[2]) if exc_info else None,
                "errorType": exc_info[0].__name__ if exc_info else None,
                "errorMessage": str(exc_info[1]) if exc_info else None,
                "requestId": getattr(record, "aws_request_id", None),
                "location": "%s:%s:%s" % (record.pathname, record.funcName, record.lineno) if exc_info else None,
            }
            if getattr(record, "tenant_id", None) is not None:
                result["tenantId"] = record.tenant_id
            result.update(
                (key, value)
                for key, value in record.__dict__.items()
                if key not in _RESERVED_FIELDS and key not in result
            )
            return encode({k: v for k, v in result.items() if v is not None}) + "\n"

    return JsonFormatter()


# -- unhandled errors ----------------------------------------------------------------------------


def log_error(error_result, log_sink, to_json):
    """Writes an error document as awslambdaric does for init and Invocation failures."""
    if is_json_format():
        record = {
            "timestamp": time.strftime(_DATETIME_FORMAT, time.gmtime(time.time())),
            "level": "ERROR",
        }
        record.update(error_result)
        log_sink.log_error([to_json(record)])
        return

    description = "[ERROR]"
    error_type = error_result.get("errorType")
    if error_type:
        description += " " + error_type
    message = error_result.get("errorMessage")
    if message:
        if error_type:
            description += ":"
        description += " " + message

    lines = [description]
    stack_trace = error_result.get("stackTrace")
    if stack_trace is not None:
        lines.append("Traceback (most recent call last):")
        for element in stack_trace:
            if element == "":
                lines.append("")
                continue
            for line in element.splitlines():
                stripped = line.lstrip(" ")
                lines.append(_NO_BREAK_SPACE * (len(line) - len(stripped)) + stripped)
    log_sink.log_error(lines)


def log_warning(message):
    """A WARNING record on the root logger (imports ``logging``, so only for rare paths)."""
    import logging

    logging.warning(message)
