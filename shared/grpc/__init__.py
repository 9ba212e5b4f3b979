"""gRPC plumbing: contract options, validation, interceptors, server and channel construction."""
