"""One construct per capability; the stack in `infra.stack` wires them together."""
