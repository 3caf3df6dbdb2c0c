"""Versioned contracts between services: event payloads, the envelope, RPC shapes, streams.

A breaking change to a payload is a new class with a new ``version``; old versions stay
readable until every consumer has moved on.
"""
