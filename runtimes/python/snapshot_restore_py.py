"""SnapStart runtime hooks, under the name and with the API of AWS's ``snapshot_restore_py``
(the "Snapshot Restore for Python" library that AWS's Python managed runtimes ship; PyPI
``snapshot-restore-py`` 1.0.0), so that a function written for AWS imports it unchanged::

    from snapshot_restore_py import register_before_snapshot, register_after_restore

    @register_before_snapshot
    def close_connections():
        ...

    register_after_restore(reconnect, "db.example", timeout=3)

A hook is kept as a ``(func, args, kwargs)`` tuple in one of two module-level lists. The runtime
(``_thaw_runtime._after_init``) runs them only when ``AWS_LAMBDA_INITIALIZATION_TYPE`` is
``snap-start``: before-snapshot hooks in the reverse order of registration, popped off the list as
awslambdaric's ``lambda_runtime_hooks_runner`` does, then after-restore hooks in the order of
registration. Without SnapStart registering still works; the hooks never run.

The runtime imports this module before it takes its own folder off ``sys.path``, so every
``import snapshot_restore_py`` of the function, or of a copy bundled in its package, gets this one
registry, as on AWS where the runtime's copy is the one in ``sys.modules``. No imports: the
module is loaded on every start and must cost nothing.
"""

__version__ = "1.0.0"
__all__ = ["register_before_snapshot", "register_after_restore"]

_before_snapshot_registry = []
_after_restore_registry = []


def register_before_snapshot(func, *args, **kwargs):
    """Registers ``func(*args, **kwargs)`` to run before the Snapshot is taken.

    Returns ``func`` unchanged, so the function also works as a bare decorator
    (``@register_before_snapshot``).
    """
    _before_snapshot_registry.append((func, args, kwargs))
    return func


def register_after_restore(func, *args, **kwargs):
    """Registers ``func(*args, **kwargs)`` to run after the ExecutionEnvironment has been restored
    from the Snapshot, before its first Invocation.

    Returns ``func`` unchanged, so the function also works as a bare decorator
    (``@register_after_restore``).
    """
    _after_restore_registry.append((func, args, kwargs))
    return func


def get_before_snapshot():
    """The live list of before-snapshot hooks, ``(func, args, kwargs)`` tuples in registration
    order. The runtime empties it as it runs them."""
    return _before_snapshot_registry


def get_after_restore():
    """The live list of after-restore hooks, ``(func, args, kwargs)`` tuples in registration
    order."""
    return _after_restore_registry
