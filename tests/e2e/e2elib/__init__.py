"""End-to-end harness: podgate between network namespaces, real clients and
servers (see ../README.md)."""
