"""Shared library of the MySetlist services: settings, errors, auth, paging, db, gRPC plumbing."""
