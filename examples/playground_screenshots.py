"""Screenshots of every playground preset, for the README and docs/playground.md.

Starts a playground server on a free port, opens each preset in headless chromium (Debian's
chromium + chromium-driver, through selenium), trains it until it finishes or for at most
SECONDS, and writes docs/img/playground-<n>.png (scaled down, 256 colours).

    python examples/playground_screenshots.py [OUT_DIR] [--only N [N ...]]

``--only 9`` renews only the ninth preset's image (the numbers are the file names').
"""

import argparse
import threading
import time
from pathlib import Path
from urllib.parse import quote

from PIL import Image
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from chainrule.playground import PRESETS, make_server

SECONDS = 12  # training time per preset at most
WIDTH = 1000  # pixels of the saved image


def main(out: Path, only: list[int] | None = None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    server = make_server("127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                "--window-size=1400,1150"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        for i, (label, query) in enumerate(PRESETS):
            if only and i + 1 not in only:
                continue
            driver.get(server.url + "?" + quote(query, safe="=&,:"))
            _wait(driver, "playground.state && playground.data")
            driver.find_element("id", "play").click()
            end = time.monotonic() + SECONDS
            while time.monotonic() < end and not driver.execute_script(
                    "return playground.state.finished"):
                time.sleep(0.2)
            if driver.execute_script("return playground.playing"):
                driver.find_element("id", "play").click()
            time.sleep(0.5)
            path = out / f"playground-{i + 1}.png"
            driver.save_screenshot(str(path))
            img = Image.open(path).convert("RGB")
            img = img.resize((WIDTH, round(img.height * WIDTH / img.width)), Image.LANCZOS)
            img.quantize(256).save(path, optimize=True)
            epoch = driver.execute_script("return playground.state.epoch")
            print(f"{path}: {label} (epoch {epoch}, {path.stat().st_size // 1024} KB)")
    finally:
        driver.quit()
        server.shutdown()
        server.server_close()


def _wait(driver, script, timeout=30):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if driver.execute_script(f"try {{ return {script}; }} catch (e) {{ return null; }}"):
            return
        time.sleep(0.05)
    raise TimeoutError(script)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Screenshots of the playground's presets.")
    parser.add_argument("out", nargs="?", type=Path,
                        default=Path(__file__).parents[1] / "docs" / "img")
    parser.add_argument("--only", type=int, nargs="+", metavar="N",
                        help=f"only these presets (1..{len(PRESETS)})")
    args = parser.parse_args()
    if args.only and not all(1 <= n <= len(PRESETS) for n in args.only):
        parser.error(f"--only: preset numbers are 1..{len(PRESETS)}, got {args.only}")
    main(args.out, args.only)
