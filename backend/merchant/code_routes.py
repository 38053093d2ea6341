"""/api/v1/merchant: the shop's printed code, as the URL it prints, SVG, a PNG sticker and
a WeChat mini-program code, and its reissue."""

from __future__ import annotations

from flask import Response, current_app
from flask.views import MethodView

from backend import codes
from backend.auth import current_user
from backend.merchant import SHOP, blp, member, schemas
from backend.schemas import PngSize
from backend.shops import printing


def _code_out(code) -> dict:
    return {"code": code.code, "url": printing.printed_url(code), "issued_at": code.issued_at}


@blp.route(f"{SHOP}/code")
class Code(MethodView):
    @member
    @blp.response(200, schemas.CodeOut)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def get(self, shop_id):
        """The shop's current code and the URL it prints"""
        _, code = printing.shop_code(current_user(), shop_id)
        return _code_out(code)


@blp.route(f"{SHOP}/code/reissue")
class CodeReissue(MethodView):
    @member
    @blp.response(201, schemas.CodeOut)
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    @blp.doc(**{"x-no-body": True})
    def post(self, shop_id):
        """Make a new code and revoke the old one at once (owner only)"""
        return _code_out(printing.reissue_code(current_user(), shop_id))


@blp.route(f"{SHOP}/code.svg")
class CodeSvg(MethodView):
    @member
    @blp.binary("image/svg+xml", description="the code as SVG, quiet zone included")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def get(self, shop_id):
        """The printable code as SVG"""
        _, code = printing.shop_code(current_user(), shop_id)
        return Response(codes.render_svg(printing.printed_url(code)), mimetype="image/svg+xml")


@blp.route(f"{SHOP}/code.png")
class CodePng(MethodView):
    @member
    @blp.arguments(PngSize, location="query")
    @blp.binary("image/png", description="the code with the shop's name under it")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def get(self, args, shop_id):
        """The printable code as PNG, with the shop's name under it"""
        shop, code = printing.shop_code(current_user(), shop_id)
        png = printing.sticker_png(printing.printed_url(code), shop.name, size=args["size"])
        return Response(png, mimetype="image/png")


@blp.route(f"{SHOP}/code/wxacode.png")
class CodeWxacode(MethodView):
    @member
    @blp.binary("image/png", "image/jpeg", description="the mini-program code")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    @blp.alt_response(502, response="BAD_GATEWAY")
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE")
    def get(self, shop_id):
        """The same code as a WeChat mini-program code (scene = the code id)"""
        _, code = printing.shop_code(current_user(), shop_id)
        image = current_app.extensions["citycode.wechat"].get_unlimited_wxacode(
            scene=code.code, page="pages/scan/index", width=430
        )
        mimetype = "image/jpeg" if image[:2] == b"\xff\xd8" else "image/png"
        return Response(image, mimetype=mimetype)
