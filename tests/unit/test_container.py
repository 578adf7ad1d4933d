"""What a container keeps: one value per factory until `forget()`, as a new container would start."""

from __future__ import annotations

from functools import lru_cache

from sideconv.container import forget, keep


def test_a_kept_factory_builds_once_until_the_container_is_forgotten() -> None:
    built: list[object] = []

    @keep
    @lru_cache(maxsize=1)
    def client() -> object:
        built.append(object())
        return built[-1]

    assert client() is client()
    forget()
    assert client() is built[1] is not built[0]
    assert len(built) == 2
