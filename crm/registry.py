"""A small keyed registry that the apps fill in from ``AppConfig.ready()``."""

from typing import Generic, Protocol, TypeVar


class Registrable(Protocol):
    key: str
    order: int


T = TypeVar("T", bound=Registrable)


class Registry(Generic[T]):
    kind = "entry"

    def __init__(self) -> None:
        self._entries: dict[str, T] = {}

    def register(self, entry: T) -> None:
        if entry.key in self._entries and self._entries[entry.key] != entry:
            raise ValueError(f"{self.kind} {entry.key!r} is registered twice.")
        self._entries[entry.key] = entry

    def unregister(self, key: str) -> None:
        self._entries.pop(key, None)

    def ordered(self) -> list[T]:
        return sorted(self._entries.values(), key=lambda e: (e.order, e.key))
