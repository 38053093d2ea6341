"""The scan entry for the mini-program (JSON) and for a phone's camera (an H5 page)."""

from __future__ import annotations

from datetime import datetime

from flask import render_template
from flask.views import MethodView

from backend import clock, masking
from backend.api import public, reads_caller
from backend.auth import caller_id, current_user, optional_user
from backend.errors import DATABASE_DOWN
from backend.inspections import grading
from backend.ratings.schemas import PublicComment
from backend.scan import blp, schemas
from backend.shops import facts, public_view, scan


@blp.route("/api/v1/scan/<scanned:code>")
@reads_caller
class ScanApi(MethodView):
    @blp.response(200, schemas.ScanResult)
    def get(self, code):
        """Scan a printed code: its verdict, and the view of it that is yours to see"""
        response = public_view.response(code, caller_id())
        if response is not None:
            return response
        return scan.as_response(scan.read(code, current_user()))


def _page(code: str):
    try:
        return _shop_page(code)
    except DATABASE_DOWN:
        # A phone's camera shows whatever comes back: a page in Chinese, not JSON.
        html = render_template("unavailable.html")
        return html, 503, {"Content-Type": "text/html; charset=utf-8", "Retry-After": "5"}


def _shop_page(code: str):
    result = scan.read(code, optional_user())
    status = 200 if result.verdict == "official" else 404
    html = render_template(
        "scan.html",
        scan=result,
        labels=facts,
        today=clock.today_local(),
        mask_number=masking.number,
        rating_mean=facts.rating_mean(result.shop) if result.shop else None,
        last_inspection=facts.last_inspection(result.shop) if result.shop else None,
        local_day=_local_day,
        # Through the API's own schema, so the page masks authors exactly as the app does.
        comments=PublicComment(many=True).dump(result.comments),
    )
    return html, status, {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}


def _local_day(moment: str) -> str:
    # A dumped time (ISO, UTC) as the day a reader in the district would give it.
    return clock.local_date(datetime.fromisoformat(moment)).isoformat()


@blp.route("/s/<scanned:code>")
@public
class ScanPage(MethodView):
    @blp.binary("text/html", description="a mobile page in Chinese")
    @blp.alt_response(404, description="not an official code, or replaced (still an HTML page)")
    @blp.alt_response(503, description="服务暂时不可用，请稍后再试 (an HTML page)")
    def get(self, code):
        """The page a phone camera outside WeChat opens"""
        return _page(code)


@blp.route("/S/<scanned:code>")
@public
class ScanPageUpper(MethodView):
    @blp.binary("text/html", description="the same page; printed URLs are upper case")
    @blp.alt_response(404, description="not an official code, or replaced (still an HTML page)")
    @blp.alt_response(503, description="服务暂时不可用，请稍后再试 (an HTML page)")
    def get(self, code):
        """The printed (upper-case) form of /s/{code}"""
        return _page(code)


@blp.route("/grading-rules")
@public
class GradingRulesPage(MethodView):
    @blp.binary("text/html", description="a mobile page in Chinese")
    def get(self):
        """The grading rules as a page, linked from every shop's page"""
        html = render_template("grading_rules.html", rules=grading.rules())
        return html, 200, {"Content-Type": "text/html; charset=utf-8"}
