"""SQL for the catalog: one module per aggregate, plain functions over an AsyncSession.

Functions here never commit and never raise gRPC errors: the domain layer
owns transactions and rules. Writes are batched (one statement per batch,
never a query per row).
"""
