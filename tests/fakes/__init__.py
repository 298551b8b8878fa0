"""One in-memory fake per RPC surface the services call (the nameko service name in SERVICE): journal, flk,
ferzl_bridge. Each public method of a fake has the name and the parameter list of an @rpc method of the real service
(tests/unit/test_fakes.py), so a renamed method or parameter fails there instead of passing against a stale fake."""
