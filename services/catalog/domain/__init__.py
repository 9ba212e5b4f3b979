"""The catalog's rules, in plain Python: no protobuf, no SQL beyond the repository calls."""
