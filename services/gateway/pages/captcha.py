"""Image CAPTCHA made on the server: distorted digits on a noisy background (Pillow, no outside service).

Digits only: a clerk answers without switching the keyboard layout. The journal keeps only an HMAC of the
answer (journal.captcha_issue / captcha_check), so a stolen row does not reveal it.
"""

import base64
import hashlib
import hmac
import io
import math
import random
import secrets

from PIL import Image, ImageDraw, ImageFilter, ImageFont
from PIL.ImageFont import FreeTypeFont
from PIL.ImageFont import ImageFont as BitmapFont

Font = FreeTypeFont | BitmapFont

ALPHABET = "23456789"  # no 0/1: too close to О and 7 once distorted
LENGTH = 5
WIDTH, HEIGHT = 180, 56
_fonts = {}


def new_answer(length: int = LENGTH) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def normalize(answer: str | None) -> str:
    return "".join(ch for ch in (answer or "") if not ch.isspace())


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
    size = rng.randint(30, 38)
    font = _font(size)
    tile = Image.new("L", (size + 16, size + 16), 0)
    ImageDraw.Draw(tile).text((8, 4), char, font=font, fill=255, stroke_width=1, stroke_fill=255)
    return tile.rotate(rng.uniform(-28, 28), resample=Image.Resampling.BICUBIC, expand=True)


def _wave(image: Image.Image, rng: random.Random) -> Image.Image:
    """Shift each column up or down along a sine: breaks the straight baseline OCR relies on."""
    amplitude, period, phase = rng.uniform(2.5, 4.5), rng.uniform(40, 70), rng.uniform(0, 2 * math.pi)
    out = Image.new(image.mode, image.size, (255, 255, 255))
    for x in range(image.width):
        dy = int(amplitude * math.sin(2 * math.pi * x / period + phase))
        out.paste(image.crop((x, 0, x + 1, image.height)), (x, dy))
    return out


def render_png(text: str, seed: int | None = None) -> bytes:
    rng = random.Random(seed if seed is not None else secrets.randbits(64))
    image = Image.new("RGB", (WIDTH, HEIGHT), (250, 250, 247))
    draw = ImageDraw.Draw(image)
    for _ in range(160):  # speckles
        x, y = rng.randrange(WIDTH), rng.randrange(HEIGHT)
        draw.point((x, y), fill=tuple(rng.randint(120, 210) for _ in range(3)))
    x = 10
    for char in text:
        mask = _glyph(char, rng)
        color = (rng.randint(10, 70), rng.randint(30, 80), rng.randint(80, 140))
        y = rng.randint(-4, max(-3, HEIGHT - mask.height + 2))
        image.paste(Image.new("RGB", mask.size, color), (x, y), mask)
        x += rng.randint(26, 32)
    for _ in range(3):  # strike-through curves
        points = [(px, HEIGHT / 2 + rng.uniform(-18, 18)) for px in range(0, WIDTH + 30, 30)]
        draw.line(
            points,
            fill=(rng.randint(60, 140), rng.randint(60, 140), rng.randint(60, 140)),
            width=rng.choice((1, 2)),
            joint="curve",
        )
    image = _wave(image, rng).filter(ImageFilter.SMOOTH)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()
