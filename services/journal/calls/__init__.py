"""What the journal's RPC methods do, by area, over an engine and the plain arguments of the call: each function
opens its transaction (or a read-only connection), converts the wire arguments and returns what goes back on the
wire. services/journal/service.py only delegates here; tests call these without a broker."""
