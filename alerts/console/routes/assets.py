"""Everything a page loads comes from here: our own scripts and styles, and the front-end
libraries installed from the npm registry at setup (`npm ci`, alerts/console/package.json).
Safety offices often work on closed networks: no page may load anything from a CDN.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, Response

from alerts.errors import NotFound, Unavailable

_HERE = Path(__file__).resolve().parents[1]
STATIC = _HERE / "static"
NODE_MODULES = _HERE / "node_modules"

# The files of each library a page may load: a fixed list, so nothing else in node_modules
# is ever served.
VENDOR: dict[str, Path] = {
    "htmx.min.js": Path("htmx.org/dist/htmx.min.js"),
    "echarts.min.js": Path("echarts/dist/echarts.min.js"),
    "swagger-ui-bundle.js": Path("swagger-ui-dist/swagger-ui-bundle.js"),
    "swagger-ui.css": Path("swagger-ui-dist/swagger-ui.css"),
}
_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
_CACHE = {"Cache-Control": "public, max-age=3600"}

router = APIRouter(include_in_schema=False)


def missing_vendor_files() -> list[str]:
    return [name for name, path in VENDOR.items() if not (NODE_MODULES / path).is_file()]


@router.get("/console/static/{name}")
def static(name: str) -> Response:
    path = (STATIC / name).resolve()
    if path.parent != STATIC or not path.is_file() or path.suffix not in _TYPES:
        raise NotFound(f"no asset {name}")
    return FileResponse(path, media_type=_TYPES[path.suffix], headers=_CACHE)


@router.get("/console/vendor/{name}")
def vendor(name: str) -> Response:
    relative = VENDOR.get(name)
    if relative is None:
        raise NotFound(f"no library file {name}")
    path = NODE_MODULES / relative
    if not path.is_file():
        raise Unavailable("the console's libraries are not installed; run ./run once (npm ci)")
    return FileResponse(path, media_type=_TYPES[path.suffix], headers=_CACHE)


def install_docs(app: FastAPI) -> None:
    """`/docs`: Swagger UI from the local copy of swagger-ui-dist, not FastAPI's CDN default."""

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} — docs",
            swagger_js_url="/console/vendor/swagger-ui-bundle.js",
            swagger_css_url="/console/vendor/swagger-ui.css",
            swagger_favicon_url="/console/static/favicon.svg",
        )
