"""The trading domain: pure value types, the order state machine, fills and positions."""
