"""Where files are kept: photos, evidence, a policy's attachments, the open-data feed.

One interface, two places. By default a folder (UPLOAD_DIR): nothing to set up, one
machine. In production, S3-compatible object storage every instance shares
(`STORAGE_URL=s3://bucket?endpoint=https://…&region=…`, through boto3; its credentials from
boto3's own chain: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a role). A file asked
for and not there is `Missing`, which a request answers 404 (`file_missing`), never 500.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Protocol
from urllib.parse import parse_qs, urlparse

import boto3
from boto3.exceptions import S3UploadFailedError
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError
from flask import current_app, send_file

from backend import metrics
from backend.errors import NotFound, UpstreamUnavailable
from backend.i18n import N_


class StorageUnavailable(UpstreamUnavailable):
    """Object storage did not take or give a file: the caller may try again (503)."""

    key = "storage_unavailable"

    def __init__(self):
        super().__init__(N_("file storage is unavailable; try again shortly"))


class Missing(NotFound):
    """No file under that key."""

    key = "file_missing"

    def __init__(self):
        super().__init__(N_("the file is not in storage"))


@dataclass
class Stored:
    """A file as read back: a path (the folder's) or a stream (object storage's)."""

    content: Path | IO[bytes]
    etag: str
    modified: datetime
    size: int


class Storage(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...
    def put_file(self, key: str, path: Path, content_type: str) -> None: ...
    def get(self, key: str) -> Stored: ...
    def delete(self, key: str) -> None: ...
    def keys(self) -> Iterator[str]: ...


class Folder:
    def __init__(self, root: str | Path):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"a key outside the folder: {key!r}")
        return path

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        with _unavailable_as_503("write"):
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, partial = tempfile.mkstemp(dir=path.parent, suffix=".partial")
            try:
                with os.fdopen(handle, "wb") as out:
                    out.write(data)
                os.replace(partial, path)  # readers see the old file or the new, whole
            except OSError:
                Path(partial).unlink(missing_ok=True)  # a full disk keeps no half a photo
                raise

    def put_file(self, key: str, path: Path, content_type: str) -> None:
        target = self._path(key)
        with _unavailable_as_503("write"):
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, partial = tempfile.mkstemp(dir=target.parent, suffix=".partial")
            os.close(handle)
            shutil.move(path, partial)  # across file systems too
            os.replace(partial, target)

    def get(self, key: str) -> Stored:
        path = self._path(key)
        try:
            stat = path.stat()
        except FileNotFoundError:
            raise Missing() from None
        modified = datetime.fromtimestamp(stat.st_mtime, UTC)
        return Stored(path, f"{stat.st_mtime_ns:x}-{stat.st_size:x}", modified, stat.st_size)

    def delete(self, key: str) -> None:
        path = self._path(key)
        with _unavailable_as_503("delete"):
            path.unlink(missing_ok=True)

    def keys(self) -> Iterator[str]:
        """Every file's key, in order; not a write still in progress (its `.partial`)."""
        if not self.root.is_dir():
            return
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and path.suffix != ".partial":
                yield path.relative_to(self.root).as_posix()


class ObjectStorage:
    """A bucket of S3-compatible object storage. Short timeouts and two retries: a
    photo upload waits seconds on a slow store at most, not minutes."""

    def __init__(self, bucket: str, endpoint: str | None, region: str | None):
        self.bucket = bucket
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name=region or "us-east-1",
            config=BotoConfig(
                s3={"addressing_style": "path"},
                connect_timeout=2,
                read_timeout=10,
                retries={"max_attempts": 2, "mode": "standard"},
            ),
        )

    def put(self, key: str, data: bytes, content_type: str) -> None:
        with _unavailable_as_503("write"):
            self.client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)

    def put_file(self, key: str, path: Path, content_type: str) -> None:
        with _unavailable_as_503("write"):
            self.client.upload_file(
                str(path), self.bucket, key, ExtraArgs={"ContentType": content_type}
            )
        path.unlink(missing_ok=True)

    def get(self, key: str) -> Stored:
        with _unavailable_as_503("read"):
            answer = self.client.get_object(Bucket=self.bucket, Key=key)
        etag = answer["ETag"].strip('"')
        return Stored(answer["Body"], etag, answer["LastModified"], answer["ContentLength"])

    def delete(self, key: str) -> None:
        with _unavailable_as_503("delete"):
            self.client.delete_object(Bucket=self.bucket, Key=key)

    def keys(self) -> Iterator[str]:
        """Every object's key, in the store's order (a page of 1,000 at a time)."""
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket)
        with _unavailable_as_503("read"):
            for page in pages:
                for listed in page.get("Contents", ()):
                    yield listed["Key"]


@contextmanager
def _unavailable_as_503(operation: str):
    """A key that is not there is Missing (404); any other failure of the store (once
    boto3's retries are spent; a full or unwritable disk), a 503 the caller may try
    again after, counted for the operators' alert."""
    try:
        yield
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            raise Missing() from None
        metrics.STORAGE_ERRORS.labels(operation).inc()
        raise StorageUnavailable() from exc
    except (BotoCoreError, S3UploadFailedError, OSError) as exc:
        metrics.STORAGE_ERRORS.labels(operation).inc()
        raise StorageUnavailable() from exc


def from_url(url: str, folder: str | Path) -> Storage:
    """STORAGE_URL's storage: unset, the folder; `s3://bucket?endpoint=…&region=…`."""
    if not url:
        return Folder(folder)
    parsed = urlparse(url)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise ValueError(f"STORAGE_URL must be s3://bucket?endpoint=…, not {url!r}")
    query = {name: values[-1] for name, values in parse_qs(parsed.query).items()}
    return ObjectStorage(parsed.netloc, query.get("endpoint"), query.get("region"))


def files() -> Storage:
    return current_app.extensions["citycode.storage"]


def send(key: str, mimetype: str):
    """A response with the file under `key` (404 JSON when it is not there), which a
    client that has it already (If-None-Match, If-Modified-Since) gets as 304."""
    stored = files().get(key)
    if isinstance(stored.content, Path):
        return send_file(stored.content, mimetype=mimetype, conditional=True)
    response = send_file(
        stored.content,
        mimetype=mimetype,
        etag=stored.etag,
        last_modified=stored.modified,
        conditional=True,
    )
    response.content_length = stored.size
    return response


def init_app(app) -> None:
    config = app.config["CITYCODE"]
    app.extensions["citycode.storage"] = from_url(config.storage_url, config.upload_dir)
