"""The Order Management Service: order lifecycle, fills, positions."""
