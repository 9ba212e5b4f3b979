"""The import pipeline: stages that turn an artist reference into a complete catalog entry.

Stages talk to each other only through the catalog (and the job record), so
a redelivered message can run them again from the start and end with
exactly the rows an uninterrupted run makes: every write is an upsert keyed
on upstream ids.
"""
