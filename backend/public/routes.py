"""/api/v1/public: the shop search, one shop, the shops as a map layer, and a published
policy's attachments. What it answers is the same for everyone: cacheable, with an ETag
(backend/public/__init__.py)."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView

from backend import uploads
from backend.api import CappedQueryPage, public
from backend.inspections import grading
from backend.opendata import geojson, lives_export, search
from backend.policies import publishing
from backend.public import blp
from backend.public import schemas as s


@blp.route("/policy-attachments/<string:upload_id>")
@public
class PolicyAttachment(MethodView):
    @blp.binary("application/pdf", description="the PDF")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, upload_id):
        """A published policy's attachment"""
        upload = publishing.attachment(upload_id)
        response = uploads.send(upload)
        response.headers["Content-Disposition"] = f'attachment; filename="{upload_id}.pdf"'
        response.headers["Cache-Control"] = "public, max-age=300"
        return response


@blp.route("/grading-rules")
@public
class GradingRules(MethodView):
    @blp.response(200, s.GradingRules)
    def get(self):
        """The rules every public grade is scored by: items, points, key items, cut-offs"""
        return grading.rules()


@blp.route("/shops.geojson")
@public
class ShopLayer(MethodView):
    @blp.arguments(s.LayerQuery, location="query")
    @blp.response(200, s.ShopLayer, content_type="application/geo+json")
    def get(self, args):
        """The open shops in a box, as GeoJSON (WGS 84), for any map"""
        response = current_app.json.response(s.ShopLayer().dump(geojson.layer(args["bbox"])))
        response.mimetype = "application/geo+json"  # RFC 7946 §12
        return response


class ShopPage(CappedQueryPage):
    """A page of shops, each as the public sees it: built for the page's shops only."""

    @property
    def items(self):
        return search.items(super().items)


@blp.route("/shops")
@public
class Shops(MethodView):
    @blp.arguments(s.ShopSearch, location="query")
    @blp.response(200, s.PublicShop(many=True))
    @blp.paginate(ShopPage)
    def get(self, args):
        """Search the open shops: by name or address, category, region, grade, inspection,
        or near a place (nearest first)"""
        return search.search(args)


@blp.route("/shops/<string:shop_id>")
@public
class ShopItem(MethodView):
    @blp.response(200, s.PublicShopDetail)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, shop_id):
        """One open shop, as its sticker's page shows it, with its last three inspections"""
        return search.one(shop_id)


@blp.route("/lives.zip")
@public
class LivesFeed(MethodView):
    @blp.binary("application/zip", description="the LIVES feed: five CSV files in a ZIP")
    @blp.alt_response(
        404,
        response="NOT_FOUND",
        description="not made yet (before its first night); ask again after Retry-After seconds",
    )
    def get(self):
        """The open shops and their inspections as a LIVES feed (Yelp's format), made daily"""
        response = lives_export.served()
        response.headers["Content-Disposition"] = 'attachment; filename="lives.zip"'
        response.headers["Cache-Control"] = "public, max-age=3600"
        return response
