"""Method descriptors and the access option, resolved from the default descriptor pool."""

from __future__ import annotations

import functools

from google.protobuf import descriptor_pool
from google.protobuf.descriptor import MethodDescriptor
from mysetlist.options.v1 import options_pb2
from mysetlist.options.v1.options_pb2 import Access

__all__ = ["Access", "method_access", "method_descriptor"]


@functools.lru_cache(maxsize=4096)
def method_descriptor(full_method: str) -> MethodDescriptor | None:
    """The descriptor for "/pkg.Service/Method", or None when no loaded proto declares it."""
    service, _, method = full_method.lstrip("/").partition("/")
    if not service or not method:
        return None
    try:
        return descriptor_pool.Default().FindMethodByName(f"{service}.{method}")
    except KeyError:
        return None


@functools.lru_cache(maxsize=4096)
def method_access(full_method: str) -> Access:
    """Who may call the method; unset (or unresolvable) means ACCESS_PUBLIC."""
    descriptor = method_descriptor(full_method)
    if descriptor is None:
        return options_pb2.ACCESS_PUBLIC
    access = descriptor.GetOptions().Extensions[options_pb2.access]
    return access if access != options_pb2.ACCESS_UNSPECIFIED else options_pb2.ACCESS_PUBLIC
