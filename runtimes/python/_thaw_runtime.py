"""thaw's managed Python runtime: handler loading, the context object and the invoke loop.

Behaviour follows AWS's runtime interface client, awslambdaric (``bootstrap.py``,
``lambda_context.py``, ``lambda_runtime_marshaller.py``), in everything a function can observe:

- Handler ``pkg/module.func`` or ``pkg.module.func`` is split at the last ``.``; ``/`` becomes
  ``.`` for the import. Failures are init errors: ``Runtime.MalformedHandlerName``,
  ``Runtime.BuiltInModuleConflict``, ``Runtime.ImportModuleError`` ("Unable to import module
  'm': ..."), ``Runtime.UserCodeSyntaxError``, ``Runtime.HandlerNotFound`` ("Handler 'f' missing
  on module 'm'"); any other exception raised by the module is reported under its own class
  name with its traceback. The runtime logs ``LAMBDA_WARNING`` and the error, posts
  ``/init/error`` with ``Lambda-Runtime-Function-Error-Type``, and exits with status 1.
- An exception from the handler is posted as ``{"errorMessage", "errorType", "requestId",
  "stackTrace": [formatted frames]}`` and logged as ``[ERROR] Type: message`` plus traceback;
  the loop goes on. ``BaseException``s that are not ``Exception`` (``SystemExit``) end the process.
- The event is parsed from JSON when its content type is ``application/json`` (or absent: AWS
  always sends one), else given as bytes. The result is JSON (``application/json``); ``bytes``
  are passed through as ``application/unknown``.

- SnapStart (``AWS_LAMBDA_INITIALIZATION_TYPE=snap-start``, spec 1.8), in ``_after_init``: the
  before-snapshot hooks of ``snapshot_restore_py`` and ``GET /runtime/restore/next``, then the
  reseeding of what the clone shares with its siblings, then the after-restore hooks. Failures
  are reported as awslambdaric's ``on_init_complete`` reports them (exit status 64 and 65).

Start-up cost is kept to what the first Invocation needs; see _thaw_logging, _thaw_json and
_thaw_rapid for the imports avoided.
"""

import os
import sys
import time

import _thaw_json

# Imported while this folder is still on sys.path (it is taken off in _prepare_sys_path): the
# function's own ``import snapshot_restore_py`` then finds this module in sys.modules, so the
# function and the runtime share one hook registry. The module imports nothing.
import snapshot_restore_py
from _thaw_logging import (
    Unbuffered,
    create_log_sink,
    install_logging,
    log_error,
    log_warning,
    set_request,
)
from _thaw_rapid import BEFORE_SNAPSHOT_ERROR, RapidClient

_RUNTIME_DIR = os.path.dirname(os.path.abspath(__file__))

# awslambdaric's wording (lambda_literals.py); users search for it.
_UNHANDLED_EXCEPTION_WARNING = (
    "LAMBDA_WARNING: Unhandled exception. The most likely cause is an issue in the function code. "
    "However, in rare cases, a Lambda runtime update can cause unexpected function behavior. "
    "For functions using managed runtimes, runtime updates can be triggered by a function change, "
    "or can be applied automatically. To determine if the runtime has been updated, check the "
    "runtime version in the INIT_START log entry. If this error correlates with a change in the "
    "runtime version, you may be able to mitigate this error by temporarily rolling back to the "
    "previous runtime version. For more information, see "
    "https://docs.aws.amazon.com/lambda/latest/dg/runtimes-update.html"
)


class FaultException(Exception):
    """A failure the runtime names itself (``Runtime.*``), with an optional preformatted trace."""

    MARSHAL_ERROR = "Runtime.MarshalError"
    UNMARSHAL_ERROR = "Runtime.UnmarshalError"
    USER_CODE_SYNTAX_ERROR = "Runtime.UserCodeSyntaxError"
    HANDLER_NOT_FOUND = "Runtime.HandlerNotFound"
    IMPORT_MODULE_ERROR = "Runtime.ImportModuleError"
    BUILT_IN_MODULE_CONFLICT = "Runtime.BuiltInModuleConflict"
    MALFORMED_HANDLER_NAME = "Runtime.MalformedHandlerName"
    LAMBDA_CONTEXT_UNMARSHAL_ERROR = "Runtime.LambdaContextUnmarshalError"

    def __init__(self, exception_type, msg, trace=None):
        super().__init__(msg)
        self.msg = msg
        self.exception_type = exception_type
        self.trace = trace


# -- handler ------------------------------------------------------------------------------------


def get_handler(handler):
    """Imports the handler's module and returns the handler.

    :raises FaultException: for the ``Runtime.*`` init errors listed in the module docstring.
    """
    try:
        modname, fname = handler.rsplit(".", 1)
    except ValueError as error:
        # str(error) is Python's own "not enough values to unpack (expected 2, got 1)", which is
        # what AWS shows too.
        raise FaultException(
            FaultException.MALFORMED_HANDLER_NAME, "Bad handler '{}': {}".format(handler, error)
        )

    import importlib

    try:
        if modname.split(".")[0] in sys.builtin_module_names:
            raise FaultException(
                FaultException.BUILT_IN_MODULE_CONFLICT,
                "Cannot use built-in module {} as a handler module".format(modname),
            )
        module = importlib.import_module(modname.replace("/", "."))
    except ImportError as error:
        raise FaultException(
            FaultException.IMPORT_MODULE_ERROR, "Unable to import module '{}': {}".format(modname, error)
        )
    except SyntaxError as error:
        trace = ['  File "%s" Line %s\n    %s' % (error.filename, error.lineno, error.text)]
        raise FaultException(
            FaultException.USER_CODE_SYNTAX_ERROR,
            "Syntax error in module '{}': {}".format(modname, error),
            trace,
        )

    try:
        return getattr(module, fname)
    except AttributeError:
        raise FaultException(
            FaultException.HANDLER_NOT_FOUND, "Handler '{}' missing on module '{}'".format(fname, modname)
        )


# -- errors -------------------------------------------------------------------------------------


def make_error(error_message, error_type, stack_trace, invoke_id=None):
    return {
        "errorMessage": error_message if error_message else "",
        "errorType": error_type if error_type else "",
        "requestId": invoke_id if invoke_id is not None else "",
        "stackTrace": stack_trace if stack_trace else [],
    }


def _user_frames(tb):
    """The traceback's frames from the first one outside this runtime, formatted as
    ``traceback.format_list`` does (awslambdaric drops its own leading frames the same way)."""
    import traceback

    frames = [(f.filename, f.lineno, f.name, f.line) for f in traceback.extract_tb(tb)]
    for index, frame in enumerate(frames):
        if os.path.dirname(frame[0]) != _RUNTIME_DIR:
            frames = frames[index:]
            break
    return traceback.format_list(frames)


def build_fault_result(exc_info, invoke_id=None):
    etype, value, tb = exc_info
    if isinstance(value, FaultException):
        return make_error(value.msg, value.exception_type, value.trace, invoke_id)
    return make_error(str(value), etype.__name__, _user_frames(tb), invoke_id)


# -- context ------------------------------------------------------------------------------------


class LambdaContext:
    """The context object; fields and methods as awslambdaric's ``LambdaContext``."""

    def __init__(
        self,
        invoke_id,
        client_context,
        cognito_identity,
        epoch_deadline_time_in_ms,
        invoked_function_arn=None,
        tenant_id=None,
    ):
        self.aws_request_id = invoke_id
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = invoked_function_arn
        self.tenant_id = tenant_id
        self._w3c_fields = _extract_w3c(client_context)

        self.client_context = _make_obj(ClientContext, client_context)
        if self.client_context is not None:
            self.client_context.client = _make_obj(Client, self.client_context.client)

        self.identity = _make_obj(CognitoIdentity, {})
        if cognito_identity is not None:
            self.identity.cognito_identity_id = cognito_identity.get("cognitoIdentityId")
            self.identity.cognito_identity_pool_id = cognito_identity.get("cognitoIdentityPoolId")

        self._epoch_deadline_time_in_ms = epoch_deadline_time_in_ms

    def get_remaining_time_in_millis(self):
        remaining = self._epoch_deadline_time_in_ms - int(time.time() * 1000)
        return remaining if remaining > 0 else 0

    def w3c(self):
        """The W3C trace context (``traceparent``, ``tracestate``, ``baggage``) that came in the
        client context's ``w3c`` object, which is removed from ``client_context``."""
        return dict(self._w3c_fields)

    def log(self, msg):
        _LOG_SINK.log(str(msg))

    def __repr__(self):
        return (
            f"{self.__class__.__name__}(["
            f"aws_request_id={self.aws_request_id},"
            f"log_group_name={self.log_group_name},"
            f"log_stream_name={self.log_stream_name},"
            f"function_name={self.function_name},"
            f"memory_limit_in_mb={self.memory_limit_in_mb},"
            f"function_version={self.function_version},"
            f"invoked_function_arn={self.invoked_function_arn},"
            f"client_context={self.client_context},"
            f"identity={self.identity},"
            f"tenant_id={self.tenant_id}"
            "])"
        )


class CognitoIdentity:
    __slots__ = ["cognito_identity_id", "cognito_identity_pool_id"]

    def __repr__(self):
        return (
            f"{self.__class__.__name__}(["
            f"cognito_identity_id={self.cognito_identity_id},"
            f"cognito_identity_pool_id={self.cognito_identity_pool_id}"
            "])"
        )


class Client:
    __slots__ = ["installation_id", "app_title", "app_version_name", "app_version_code", "app_package_name"]

    def __repr__(self):
        return (
            f"{self.__class__.__name__}(["
            f"installation_id={self.installation_id},"
            f"app_title={self.app_title},"
            f"app_version_name={self.app_version_name},"
            f"app_version_code={self.app_version_code},"
            f"app_package_name={self.app_package_name}"
            "])"
        )


class ClientContext:
    __slots__ = ["custom", "env", "client"]

    def __repr__(self):
        return f"{self.__class__.__name__}([custom={self.custom},env={self.env},client={self.client}])"


def _make_obj(cls, values):
    if values is None:
        return None
    obj = cls()
    for field in cls.__slots__:
        setattr(obj, field, values.get(field, None))
    return obj


def _extract_w3c(client_context):
    if not isinstance(client_context, dict) or "w3c" not in client_context:
        return {}
    raw = client_context.pop("w3c")
    if not isinstance(raw, dict):
        return {}
    return {key: raw[key] for key in ("traceparent", "tracestate", "baggage") if isinstance(raw.get(key), str)}


def _parse_json_header(value, name):
    try:
        return _thaw_json.loads(value)
    except Exception as error:
        raise FaultException(
            FaultException.LAMBDA_CONTEXT_UNMARSHAL_ERROR, "Unable to parse {} JSON: {}".format(name, error)
        )


# -- invoke loop --------------------------------------------------------------------------------


def _unmarshal(body, content_type):
    if content_type is not None and content_type != "application/json":
        return body
    try:
        return _thaw_json.loads(body)
    except Exception as error:
        raise FaultException(FaultException.UNMARSHAL_ERROR, "Unable to unmarshal input: {}".format(error))


def _marshal(response):
    if isinstance(response, bytes):
        return response, "application/unknown"
    try:
        return _thaw_json.dumps(response).encode("utf-8"), "application/json"
    except Exception as error:
        raise FaultException(FaultException.MARSHAL_ERROR, "Unable to marshal response: {}".format(error))


def handle_event_request(client, request_handler, invocation, log_sink):
    headers = invocation.headers
    invoke_id = headers.get("lambda-runtime-aws-request-id")
    error_result = None
    try:
        client_context = headers.get("lambda-runtime-client-context")
        cognito_identity = headers.get("lambda-runtime-cognito-identity")
        try:
            deadline = int(headers.get("lambda-runtime-deadline-ms", "0"))
        except ValueError:
            deadline = 0
        context = LambdaContext(
            invoke_id,
            _parse_json_header(client_context, "Client Context") if client_context else None,
            _parse_json_header(cognito_identity, "Cognito Identity") if cognito_identity else None,
            deadline,
            headers.get("lambda-runtime-invoked-function-arn"),
            headers.get("lambda-runtime-aws-tenant-id"),
        )
        event = _unmarshal(invocation.body, headers.get("content-type"))
        response = request_handler(event, context)
        result, content_type = _marshal(response)
    except Exception:
        error_result = build_fault_result(sys.exc_info(), invoke_id)

    if error_result is not None:
        log_error(error_result, log_sink, _thaw_json.dumps)
        client.post_invocation_error(
            invoke_id, _thaw_json.dumps(error_result).encode("utf-8"), error_result["errorType"]
        )
    else:
        client.post_invocation_result(invoke_id, result, content_type)


def _prepare_sys_path(task_root):
    """sys.path as on Lambda: the task root first, then the layer folders, then the interpreter's
    own paths. This runtime's folder (the script's, and PYTHONPATH's) is removed so that its module
    names cannot shadow the function's."""
    sys.path[:] = [entry for entry in sys.path if os.path.abspath(entry or ".") != _RUNTIME_DIR]
    version = "python%d.%d" % sys.version_info[:2]
    sys.path[0:0] = [task_root, "/opt/python/lib/%s/site-packages" % version, "/opt/python"]


# -- SnapStart ----------------------------------------------------------------------------------

_SNAP_START = "snap-start"
# awslambdaric's on_init_complete: sys.exit(64) when a before-snapshot hook or restore/next fails,
# sys.exit(65) when an after-restore hook fails. (The Java client exits 64 in both cases.)
_BEFORE_SNAPSHOT_EXIT_STATUS = 64
_AFTER_RESTORE_EXIT_STATUS = 65


def _after_init(client, log_sink):
    """SnapStart's part of init, when ``AWS_LAMBDA_INITIALIZATION_TYPE`` is ``snap-start`` (spec
    1.8); nothing otherwise.

    1. The before-snapshot hooks, in the reverse order of registration, popped off the registry
       (awslambdaric ``lambda_runtime_hooks_runner.run_before_snapshot``); the first to raise
       stops the others.
    2. ``GET /runtime/restore/next``, which returns in each clone restored from the Snapshot.
       A hook's exception or a refused ``restore/next`` is logged as an unhandled error, posted to
       ``/runtime/init/error`` with ``Lambda-Runtime-Function-Error-Type:
       Runtime.BeforeSnapshotError`` (the document keeps the exception's own class name as
       ``errorType``, as awslambdaric's ``build_fault_result`` makes it) and the process exits 64.
    3. :func:`_reseed_after_restore`.
    4. The after-restore hooks, in the order of registration; a failure is logged, posted to
       ``/runtime/restore/error`` (``Runtime.AfterRestoreError``) and the process exits 65.

    As in awslambdaric every exception counts, ``SystemExit`` from a hook included.
    """
    if os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") != _SNAP_START:
        return
    try:
        hooks = snapshot_restore_py.get_before_snapshot()
        while hooks:
            func, args, kwargs = hooks.pop()
            func(*args, **kwargs)
        client.restore_next()
    except BaseException:
        error_result = build_fault_result(sys.exc_info())
        log_error(error_result, log_sink, _thaw_json.dumps)
        client.post_init_error(_thaw_json.dumps(error_result).encode("utf-8"), BEFORE_SNAPSHOT_ERROR)
        sys.exit(_BEFORE_SNAPSHOT_EXIT_STATUS)

    try:
        _reseed_after_restore()
        for func, args, kwargs in snapshot_restore_py.get_after_restore():
            func(*args, **kwargs)
    except BaseException:
        error_result = build_fault_result(sys.exc_info())
        log_error(error_result, log_sink, _thaw_json.dumps)
        client.post_restore_error(_thaw_json.dumps(error_result).encode("utf-8"))
        sys.exit(_AFTER_RESTORE_EXIT_STATUS)


def _reseed_after_restore():
    """Gives this clone its own randomness where the state lives in the process's memory, which
    every clone of the Snapshot starts from (AWS's runtime does none of this; see README.md,
    "Uniqueness after restore"). Modules the function never loaded hold no state and are not
    imported here.

    - ``random``: the module-level generator, reseeded from ``os.urandom`` (``random.seed()``).
    - OpenSSL (``ssl``, through ``_ssl``): ``RAND_add`` of 32 bytes from ``os.urandom`` reseeds
      the primary DRBG, and the per-thread DRBGs follow it. Without it ``ssl.RAND_bytes`` gives
      the same bytes in every clone: CRIU restores the process under its old pid, so OpenSSL's
      fork check does not fire (measured on thaw's CRIU, Python 3.11).
    - ``tempfile``: its name generator is dropped, so the next temporary name comes from a new
      ``random.Random()``; the old one reseeds only when the pid changes.

    ``os.urandom``, ``secrets``, ``random.SystemRandom`` and ``uuid.uuid4`` read the kernel at each
    call and need nothing.
    """
    random = sys.modules.get("random")
    if random is not None and hasattr(random, "SystemRandom"):
        random.seed()
    ssl = sys.modules.get("_ssl")
    if ssl is not None:
        ssl.RAND_add(os.urandom(32), 32.0)
    tempfile = sys.modules.get("tempfile")
    if tempfile is not None and hasattr(tempfile, "_name_sequence"):
        tempfile._name_sequence = None


_LOG_SINK = None


def main(argv):
    global _LOG_SINK
    handler = argv[1] if len(argv) > 1 else os.environ.get("_HANDLER", "")
    _prepare_sys_path(os.environ.get("LAMBDA_TASK_ROOT") or os.getcwd())

    sys.stdout = Unbuffered(sys.stdout)
    sys.stderr = Unbuffered(sys.stderr)
    log_sink = _LOG_SINK = create_log_sink()
    install_logging(log_sink)
    client = RapidClient(os.environ["AWS_LAMBDA_RUNTIME_API"])

    try:
        request_handler = get_handler(handler)
    except Exception:
        error_result = build_fault_result(sys.exc_info())
        log_warning(_UNHANDLED_EXCEPTION_WARNING)
        log_error(error_result, log_sink, _thaw_json.dumps)
        client.post_init_error(_thaw_json.dumps(error_result).encode("utf-8"), error_result["errorType"])
        sys.exit(1)

    _after_init(client, log_sink)

    while True:
        invocation = client.wait_next_invocation()
        headers = invocation.headers
        set_request(headers.get("lambda-runtime-aws-request-id"), headers.get("lambda-runtime-aws-tenant-id"))
        trace_id = headers.get("lambda-runtime-trace-id")
        if trace_id:
            os.environ["_X_AMZN_TRACE_ID"] = trace_id
        else:
            os.environ.pop("_X_AMZN_TRACE_ID", None)
        handle_event_request(client, request_handler, invocation, log_sink)
