"""JSON for events, results and error documents, as awslambdaric produces them.

awslambdaric encodes with simplejson, ``allow_nan=True``, default separators (``", "`` and
``": "``), ``Decimal`` written as its exact digits and ``NaN`` for a NaN ``Decimal``, and
``ensure_ascii=False`` from Python 3.12 on (``AWS_Lambda_python3.12`` and later) but ``True``
before. This module gives the same text with the standard library.

It drives the C accelerator ``_json`` directly rather than importing ``json``: the ``json``
package compiles regular expressions at import and so imports ``re``, about 5 ms of a cold start
in which the whole interpreter takes 10 to 12 ms. The output is the one ``json.dumps`` gives
with the same options (the C encoder is what ``json`` itself uses). Anything unusual, an input
that does not parse or a missing accelerator, falls back to the ``json`` package, so errors keep
the standard ``JSONDecodeError`` wording that users see as ``Runtime.UnmarshalError``.
"""

import os
import sys

try:
    from _json import encode_basestring as _encode_text
    from _json import encode_basestring_ascii as _encode_ascii
    from _json import make_encoder as _make_encoder
    from _json import make_scanner as _make_scanner
except ImportError:  # pragma: no cover - CPython always has _json
    _make_scanner = None
    _make_encoder = None


def _wants_ascii():
    """``ensure_ascii`` as awslambdaric sets it: off for python3.12 and later, on before."""
    env = os.environ.get("AWS_EXECUTION_ENV", "")
    prefix = "AWS_Lambda_python"
    if env.startswith(prefix):
        try:
            major, minor = env[len(prefix):].split(".")[:2]
            return (int(major), int(minor)) < (3, 12)
        except ValueError:
            pass
    return sys.version_info < (3, 12)


_ENSURE_ASCII = _wants_ascii()
_WHITESPACE = " \t\n\r"


class _ScannerContext:
    """The attributes ``_json.make_scanner`` reads, with ``json.loads``'s defaults."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = {"-Infinity": float("-inf"), "Infinity": float("inf"), "NaN": float("nan")}.__getitem__
    memo = {}


_scan = _make_scanner(_ScannerContext()) if _make_scanner is not None else None


def loads(data):
    """Parses a JSON document given as bytes or str, like ``json.loads``.

    :raises ValueError: ``json.JSONDecodeError`` (or ``UnicodeDecodeError``) with the standard text.
    """
    if _scan is not None:
        try:
            text = data.decode("utf-8") if isinstance(data, (bytes, bytearray)) else data
            if not text.startswith("\ufeff"):
                start = len(text) - len(text.lstrip(_WHITESPACE))
                value, end = _scan(text, start)
                if end == len(text) or not text[end:].strip(_WHITESPACE):
                    return value
        except Exception:
            pass
    import json

    return json.loads(data)


def dumps(value, ensure_ascii=None):
    """Serialises like awslambdaric's encoder.

    :raises TypeError: ``Object of type X is not JSON serializable``.
    :raises ValueError: ``Circular reference detected``.
    """
    if ensure_ascii is None:
        ensure_ascii = _ENSURE_ASCII
    decimals = []

    def default(obj):
        # Decimal, common in DynamoDB results, is written as its exact digits (simplejson RawJSON).
        # A placeholder string goes through the encoder and is swapped for the digits afterwards.
        # No import of decimal here: if the value is a Decimal, the module is already loaded.
        decimal = sys.modules.get("decimal")
        if decimal is not None and isinstance(obj, decimal.Decimal):
            if obj.is_nan():
                return float("nan")
            decimals.append(str(obj))
            return "%s%d\x1f" % (_DECIMAL_MARK, len(decimals) - 1)
        raise TypeError("Object of type %s is not JSON serializable" % obj.__class__.__name__)

    if _make_encoder is not None:
        try:
            encoder = _make_encoder({}, default, _encode_ascii if ensure_ascii else _encode_text, None, ": ", ", ", False, False, True)
        except TypeError:  # pragma: no cover - a future CPython with another signature
            encoder = None
    else:  # pragma: no cover
        encoder = None
    if encoder is not None:
        text = "".join(encoder(value, 0))
    else:  # pragma: no cover
        import json

        text = json.dumps(value, default=default, ensure_ascii=ensure_ascii)

    for index, digits in enumerate(decimals):
        marker = "%s%d\x1f" % (_DECIMAL_MARK, index)
        quoted = '"' + marker.replace("\x1f", "\\u001f") + '"'
        text = text.replace(quoted, digits, 1)
    return text


# A control character cannot appear unescaped in encoded JSON text, and the random part is
# per process, so a placeholder cannot be mistaken for a string of the user's.
_DECIMAL_MARK = "\x1fthaw-decimal-%s-" % os.urandom(6).hex()
