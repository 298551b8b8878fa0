"""Image CAPTCHA made on the server: slightly distorted digits on a light background (Pillow, no outside service).

Readable for people first (issue 19: 3 of 22 were misread, 4 refreshed): large glyphs, a small tilt, a gentle
wave and one thin line — enough to cost a script a trained recogniser, not a clerk a second look. Digits only,
and none of the ambiguous ones (0/О, 1/l/7): a clerk answers without switching the keyboard layout. The answer is
compared without spaces and case. The journal keeps only an HMAC of the answer (journal.captcha_issue /
captcha_check), so a stolen row does not reveal it.
"""

import base64
import hashlib
import hmac
import io
import math
import random
import secrets

from PIL import Image, ImageDraw, ImageFont
from PIL.ImageFont import FreeTypeFont
from PIL.ImageFont import ImageFont as BitmapFont

Font = FreeTypeFont | BitmapFont

ALPHABET = "2345689"  # no 0 (О), 1 (l, I, 7) or 7 (1)
LENGTH = 5
WIDTH, HEIGHT = 180, 56
_fonts = {}


def new_answer(length: int = LENGTH) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def normalize(answer: str | None) -> str:
    """As compared: without spaces, in one case (a letter typed for a digit is still wrong, but never by case)."""
    return "".join(ch for ch in (answer or "") if not ch.isspace()).upper()


def answer_hash(secret: str, answer: str | None) -> str:
    return hmac.new(secret.encode(), f"captcha|{normalize(answer)}".encode(), hashlib.sha256).hexdigest()


def _font(size: int) -> Font:
    if size not in _fonts:
        try:
            _fonts[size] = ImageFont.load_default(size=size)  # Pillow's bundled scalable font
        except (TypeError, OSError):
            _fonts[size] = ImageFont.load_default()
    return _fonts[size]


def _glyph(char: str, rng: random.Random) -> Image.Image:
    size = rng.randint(36, 40)
    font = _font(size)
    tile = Image.new("L", (size + 16, size + 16), 0)
    ImageDraw.Draw(tile).text((8, 2), char, font=font, fill=255, stroke_width=1, stroke_fill=255)
    return tile.rotate(rng.uniform(-12, 12), resample=Image.Resampling.BICUBIC, expand=True)


def _wave(image: Image.Image, rng: random.Random) -> Image.Image:
    """Shift each column up or down along a gentle sine: no straight baseline, letters stay whole."""
    amplitude, period, phase = rng.uniform(1.5, 2.5), rng.uniform(60, 90), rng.uniform(0, 2 * math.pi)
    out = Image.new(image.mode, image.size, (250, 250, 247))
    for x in range(image.width):
        dy = int(amplitude * math.sin(2 * math.pi * x / period + phase))
        out.paste(image.crop((x, 0, x + 1, image.height)), (x, dy))
    return out


def render_png(text: str, seed: int | None = None) -> bytes:
    rng = random.Random(seed if seed is not None else secrets.randbits(64))
    image = Image.new("RGB", (WIDTH, HEIGHT), (250, 250, 247))
    draw = ImageDraw.Draw(image)
    for _ in range(60):  # light speckles
        x, y = rng.randrange(WIDTH), rng.randrange(HEIGHT)
        draw.point((x, y), fill=tuple(rng.randint(170, 220) for _ in range(3)))
    x = 8
    for char in text:
        mask = _glyph(char, rng)
        color = (rng.randint(10, 50), rng.randint(20, 60), rng.randint(70, 120))
        y = max(-6, min(HEIGHT - mask.height + 4, (HEIGHT - mask.height) // 2 + rng.randint(-3, 3)))
        image.paste(Image.new("RGB", mask.size, color), (x, y), mask)
        x += rng.randint(31, 34)
    points = [(px, HEIGHT / 2 + rng.uniform(-10, 10)) for px in range(0, WIDTH + 40, 40)]
    draw.line(points, fill=(rng.randint(120, 160),) * 3, width=1, joint="curve")  # one thin line
    image = _wave(image, rng)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()
