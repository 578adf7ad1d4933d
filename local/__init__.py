"""The local stack: embedded AWS (moto) and stand-ins that feed the real handlers AWS-shaped events."""
