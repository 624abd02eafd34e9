"""Headless Chromium over the built book, for the tests that must see what a reader sees.

``pages_as_rendered`` serves the built site on a local port, opens each page in a frame of a
checker page at a given width, waits for its scripts and images, and reports what a reader
would see: every figure of the article (its natural size, the size it is shown at and, for an
SVG, how many shapes and labels the file draws), the listings that do not fit their box, and
the listings whose first line the copy button covers. Chromium's ``--dump-dom`` hands the
report back as the checker page's text.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHECKER = "/__figure-check__.html"

CHECKER_PAGE = r"""<!doctype html>
<html><head><meta charset="utf-8"></head><body>
<script>
const PAGES = %(pages)s;
const WIDTH = %(width)d;
const SHAPES = "path, polygon, polyline, ellipse, circle, rect, line";

async function drawn(src) {
  const text = await (await fetch(src)).text();
  const svg = new DOMParser().parseFromString(text, "image/svg+xml");
  return {shapes: svg.querySelectorAll(SHAPES).length, labels: svg.querySelectorAll("text").length};
}

function overlaps(a, b) {
  return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
}

function inspect(page) {
  return new Promise((resolve) => {
    const frame = document.createElement("iframe");
    frame.style.width = WIDTH + "px";
    frame.style.height = "900px";
    frame.onload = () => setTimeout(async () => {
      const doc = frame.contentDocument;
      const images = [...doc.querySelectorAll("article figure img")];
      await Promise.all(images.map((image) => image.decode().catch(() => null)));
      const figures = [];
      for (const image of images) {
        const box = image.getBoundingClientRect();
        const figure = {
          src: image.getAttribute("src"),
          alt: image.getAttribute("alt"),
          natural: [image.naturalWidth, image.naturalHeight],
          shown: [Math.round(box.width), Math.round(box.height)],
          caption: (image.closest("figure").querySelector("figcaption") || {}).textContent || "",
        };
        if (image.src.endsWith(".svg")) Object.assign(figure, await drawn(image.src));
        figures.push(figure);
      }
      // Code that does not fit its box, outside the collapsed whole files.
      const codes = [...doc.querySelectorAll("article pre > code")].filter(
        (code) => !code.closest("details"));
      const overflowing = codes
        .filter((code) => code.scrollWidth > code.clientWidth + 1)
        .map((code) => code.textContent.split("\n")[0].slice(0, 80));
      // A copy button drawn over the first line of its listing.
      const covered = [];
      for (const code of codes) {
        const button = code.closest("pre").querySelector(".md-code__button, .md-clipboard");
        const first = code.querySelector("span[id^='__span']");
        if (button && first && overlaps(button.getBoundingClientRect(),
                                        first.getBoundingClientRect())) {
          covered.push(code.textContent.split("\n")[0].slice(0, 80));
        }
      }
      const buttons = doc.querySelectorAll(
        "article .md-code__button[data-md-type='copy'], article .md-clipboard").length;
      frame.remove();
      resolve({page, figures, overflowing, covered, buttons, codes: codes.length});
    }, 500);
    frame.src = page;
    document.body.appendChild(frame);
  });
}

(async () => {
  const report = [];
  for (const page of PAGES) report.push(await inspect(page));
  const out = document.createElement("pre");
  out.id = "report";
  out.textContent = JSON.stringify(report);
  document.body.appendChild(out);
})();
</script>
</body></html>
"""


def require_program(program: str, package: str, why: str) -> str:
    """The program's path, or a skip (a failure where services are required, as in CI)."""
    found = shutil.which(program)
    if found:
        return found
    reason = f"{program} is not installed ({why}; apt-get install {package})"
    if os.environ.get("NEODYME_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason}, and NEODYME_REQUIRE_SERVICES=1")
    pytest.skip(reason)


def chromium(*arguments: str, timeout: int = 180) -> str:
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", *arguments],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )
    return result.stdout


@contextmanager
def serve(site: Path) -> Iterator[str]:
    """The built site over HTTP on a free local port (frames of one origin can be inspected)."""

    class Handler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self):
            if self.path.startswith(CHECKER):
                body = self.server.checker_page.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            super().do_GET()

        def log_message(self, *args):
            pass

    handler = functools.partial(Handler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.checker_page = ""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def pages_as_rendered(site: Path, pages: list[str], width: int = 1280) -> dict[str, dict]:
    """What a reader's browser shows of each page (site-relative URLs such as ``chapters/ch01/``).

    For each page, at ``width`` CSS pixels: its figures (natural and shown size; for an SVG, the
    shapes and labels it draws), the listings wider than their box, the listings whose first
    line lies under the copy button, and how many listings and copy buttons there are.
    """
    with serve(site) as server:
        server.checker_page = CHECKER_PAGE % {
            "pages": json.dumps([f"/{p}" for p in pages]),
            "width": width,
        }
        port = server.server_address[1]
        dom = chromium(
            "--virtual-time-budget=60000", "--dump-dom", f"http://127.0.0.1:{port}{CHECKER}"
        )
    match = re.search(r'<pre id="report">(.*?)</pre>', dom, flags=re.DOTALL)
    assert match, f"the checker page produced no report:\n{dom[-2000:]}"
    report = json.loads(match[1].replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
    return {entry["page"].lstrip("/"): entry for entry in report}
