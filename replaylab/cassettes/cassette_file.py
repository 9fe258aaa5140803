"""A vcrpy cassette file as it is on disk: its strict shape, and the safe loader that validates it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator
from vcr.serializers import yamlserializer

from replaylab.errors import CassetteError, error_where
from replaylab.files import parse_yaml, read_input_text

__all__ = ["MAX_CASSETTE_BYTES", "CassetteFile", "load_cassette", "parse_cassette", "read_cassette_text"]


def _ascii(v: str) -> str:
    if not v.isascii():
        raise ValueError("must be ASCII")
    return v


Ascii = Annotated[str, AfterValidator(_ascii)]


class _Shape(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)


class RecordedRequest(_Shape):
    model_config = ConfigDict(extra="forbid", strict=True)
    method: str = Field(pattern=r"^[A-Za-z]+$")
    uri: str
    body: str | bytes | None
    headers: dict[str, Annotated[list[str], Field(min_length=1)] | str]

    @field_validator("uri")
    @classmethod
    def _http_url(cls, v: str) -> str:
        try:
            parts = urlsplit(v)
            parts.port  # noqa: B018 - raises ValueError for a port out of range
        except ValueError as exc:
            raise ValueError(f"not a URL ({exc})") from None
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("not an http(s) URL")
        return v


class RecordedStatus(_Shape):
    code: int = Field(ge=100, le=599)
    message: Ascii | None


class RecordedBody(_Shape):
    string: str | bytes


class RecordedResponse(_Shape):
    status: RecordedStatus
    headers: dict[Ascii, list[Ascii]]
    body: RecordedBody


class Interaction(_Shape):
    request: RecordedRequest
    response: RecordedResponse


class CassetteFile(_Shape):
    """A vcrpy cassette (format version 1) as it is on disk."""

    version: int
    interactions: list[Interaction]

    @field_validator("version")
    @classmethod
    def _v1(cls, v: int) -> int:
        if v != 1:
            raise ValueError(f"cassette format version {v} is not 1")
        return v


MAX_CASSETTE_BYTES = 32 * 1024 * 1024
"""Largest cassette file read (a larger one is one CassetteError)."""


def read_cassette_text(path: Path) -> str:
    """A cassette file's text, within `MAX_CASSETTE_BYTES`; unreadable is one CassetteError."""
    return read_input_text(path, what="cassette", max_bytes=MAX_CASSETTE_BYTES, error=CassetteError)


def parse_cassette(text: str, path: Path | str = "<text>") -> CassetteFile:
    """Validate cassette text with vcrpy's safe YAML loader; any problem is one CassetteError."""
    if not text.strip():
        raise CassetteError(f"Cassette {path} is empty")
    try:  # vcrpy's safe loader (it knows vcrpy's tags), within replaylab's depth/alias/size limits
        data = parse_yaml(text, what="cassette", path=path, error=CassetteError, loader=yamlserializer._CassetteLoader)
    except CassetteError:
        raise
    except Exception as exc:  # the YAML parser's other failures (bad tags)
        raise CassetteError(f"Cassette {path} is not valid YAML ({type(exc).__name__})") from None
    if not isinstance(data, dict):
        raise CassetteError(f"Cassette {path} is not a vcrpy cassette: the top level is not a mapping")
    try:
        return CassetteFile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        message = " ".join(f"{error_where(err['loc']) or 'top level'}: {err['msg']}".split())
        raise CassetteError(f"Cassette {path} is not a vcrpy cassette: {message}") from None
    except RecursionError:
        raise CassetteError(f"Cassette {path} is nested too deeply") from None


def load_cassette(path: Path | str) -> CassetteFile:
    """Read and validate a cassette file; missing, not YAML or the wrong shape is one CassetteError."""
    return parse_cassette(read_cassette_text(Path(path)), path)
