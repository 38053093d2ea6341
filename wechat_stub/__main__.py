"""`python -m wechat_stub`: run the WeChat stub for local development."""

from __future__ import annotations

import argparse
import logging
import os

from wechat_stub import DEFAULT_APPID, DEFAULT_SECRET, create_app
from wechat_stub.server import serve_forever


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m wechat_stub", description="Answer like WeChat's server API."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--appid", default=os.environ.get("WECHAT_APPID") or DEFAULT_APPID)
    parser.add_argument("--secret", default=os.environ.get("WECHAT_SECRET") or DEFAULT_SECRET)
    parser.add_argument(
        "--token-ttl", type=int, default=7200, help="seconds an access token lives (WeChat: 7200)"
    )
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = create_app(appid=args.appid, secret=args.secret, token_ttl=args.token_ttl)
    serve_forever(app, args.host, args.port)


if __name__ == "__main__":
    main()
