"""A real browser (Debian's chromium, driven by Playwright) against a plain JupyterLab: the 01_line notebook with its
solutions runs, the w slider is moved through 30 values as fast as the keyboard goes, and afterwards the plot is
drawn in the widget's own image while JupyterLab's log console holds no figure (issue 12, finding 5: figures drawn
from widget callbacks with pyplot leaked there as `<Figure size 500x300 with 0 Axes>` and blanked the plot)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from hub.harness import free_port

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
TOKEN = "widget-browser-test"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="/usr/bin/chromium missing: run scripts/install-system-deps.sh as root")


@pytest.fixture
def lab(tmp_path):
    """A plain JupyterLab on a free loopback port, serving a copy of source/01_line; yields its base URL."""
    root = tmp_path / "notebooks"
    shutil.copytree(ROOT / "source" / "01_line", root)
    port = free_port()
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
           "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces")}
    env.pop("NBGRADER_EXECUTION", None)  # a student's session: the widgets draw
    log = open(tmp_path / "lab.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ip=127.0.0.1", f"--port={port}",
         f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True"],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180  # a loaded machine starts JupyterLab slowly
        while True:
            try:
                if requests.get(f"{url}/api/status", params={"token": TOKEN}, timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, (tmp_path / "lab.log").read_text()[-3000:]
            time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield browser.new_page(viewport={"width": 1400, "height": 1000})
        browser.close()


def run(page, command: str, **args):
    """Execute a JupyterLab command (the app is exposed as window.jupyterapp)."""
    page.evaluate("([id, args]) => window.jupyterapp.commands.execute(id, args)", [command, args])


def number(readout: str) -> float:
    """A slider's readout as a number (ipywidgets writes negative numbers with a real minus sign)."""
    return float(readout.replace("\u2212", "-"))


def test_fast_slider_moves_draw_in_the_widget_and_leak_no_figure(lab, page, tmp_path):
    page.goto(f"{lab}/lab/tree/01_line.ipynb?token={TOKEN}")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    page.locator(".jp-StatusBar-TextItem", has_text="| Idle").first.wait_for(timeout=60_000)
    page.wait_for_function("() => window.jupyterapp !== undefined", timeout=30_000)
    run(page, "notebook:run-all-cells")

    widget = page.locator(".jp-OutputArea-output .widget-vbox").first
    image = widget.locator("img.widget-image")
    label = widget.locator(".widget-html-content").first
    try:
        label.filter(has_text="loss = ").wait_for(timeout=90_000)
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle(),
                               timeout=30_000)
    except Exception:
        page.screenshot(path=str(tmp_path / "failure.png"))
        print(f"failure screenshot: {tmp_path / 'failure.png'}")
        raise
    w_slider = widget.locator(".widget-slider").filter(has_text="w").first
    start = w_slider.locator(".widget-readout").inner_text()

    w_slider.locator(".noUi-handle").focus()
    for _ in range(30):  # as fast as the keyboard goes: every press is a new value sent to the kernel
        page.keyboard.press("ArrowRight")
    readout = w_slider.locator(".widget-readout").inner_text()
    assert readout != start, f"the arrow keys did not move the slider ({start} -> {readout})"
    # the kernel catches up: the label shows the slider's last value, then a moment for any stray output
    label.filter(has_text=f"w = {number(readout):.2f},").wait_for(timeout=60_000)

    # and a mouse drag of b back and forth: with continuous_update=False only where it is let go is drawn
    widget.scroll_into_view_if_needed()
    b_slider = widget.locator(".widget-slider").filter(has_text="b").first
    handle, track = b_slider.locator(".noUi-handle").bounding_box(), b_slider.locator(".noUi-target").bounding_box()
    y = handle["y"] + handle["height"] / 2
    page.mouse.move(handle["x"] + handle["width"] / 2, y)
    page.mouse.down()
    for end in (1.0, 0.0, 1.0, 0.25):
        page.mouse.move(track["x"] + track["width"] * end, y, steps=30)
    page.mouse.up()
    b = number(b_slider.locator(".widget-readout").inner_text())
    label.filter(has_text=f"w = {number(readout):.2f}, b = {b:.2f},").wait_for(timeout=60_000)
    page.wait_for_timeout(2_000)  # a moment for any stray output

    box = image.bounding_box()
    natural = image.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert box and box["width"] > 100 and box["height"] > 100, box
    assert natural[0] > 100 and natural[1] > 100, natural
    assert box["width"] <= natural[0] + 1, f"the plot is stretched to {box['width']} px from {natural[0]} px"

    run(page, "logconsole:open")
    run(page, "logconsole:set-level", level="debug")
    console = page.locator(".jp-LogConsolePanel").first
    console.wait_for(timeout=30_000)
    page.wait_for_timeout(1_000)
    entries = console.locator(".jp-OutputArea-child").all_inner_texts()
    widget.scroll_into_view_if_needed()
    shot = tmp_path / "widget_after_fast_slider.png"
    page.screenshot(path=str(shot))
    print(f"screenshot: {shot}; w {start} -> {readout}; image {natural} px; log console entries: {entries}")
    assert not [e for e in entries if "Figure" in e], entries
    outside = page.evaluate("""() => [...document.querySelectorAll('.jp-OutputArea-output, .jp-LogConsolePanel')]
        .filter(el => !el.closest('.widget-vbox')).map(el => el.innerText).join('\\n')""")
    assert "<Figure size" not in outside, outside[:2000]
