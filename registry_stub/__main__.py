"""`python -m registry_stub`: run the business-registry stub for local development."""

from __future__ import annotations

import argparse
import logging
import os

from registry_stub import DEFAULT_TOKEN, create_app
from wechat_stub.server import serve_forever


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m registry_stub", description="Answer like a business-registry lookup."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9200)
    parser.add_argument("--token", default=os.environ.get("REGISTRY_KEY") or DEFAULT_TOKEN)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    serve_forever(create_app(token=args.token), args.host, args.port)


if __name__ == "__main__":
    main()
