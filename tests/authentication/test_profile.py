import io
import warnings

import pytest
from PIL import Image

from tests.images import picture_bytes, png_pixel_bomb, png_with_text_chunk, upload

pytestmark = pytest.mark.django_db

PROFILE = "/api/auth/profile/"


def test_profile_is_created_with_the_user_and_readable(auth_client, user):
    response = auth_client.get(PROFILE)
    assert response.status_code == 200
    body = response.json()
    assert body["user"]["username"] == user.username
    assert body["avatar"] is None
    assert body["timezone"] == "UTC"
    assert body["notification_preferences"]["email_security_alerts"] is True
    assert set(body) == {
        "user",
        "avatar",
        "bio",
        "timezone",
        "settings",
        "notification_preferences",
        "created_at",
        "updated_at",
    }


def test_patch_updates_bio_timezone_and_merges_settings_and_preferences(auth_client):
    auth_client.patch(PROFILE, {"settings": {"theme": "dark"}}, format="json")
    response = auth_client.patch(
        PROFILE,
        {
            "bio": "Builds bots.",
            "timezone": "America/Sao_Paulo",
            "settings": {"language": "pt"},
            "notification_preferences": {"email_weekly_summary": False},
        },
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["bio"] == "Builds bots."
    assert body["timezone"] == "America/Sao_Paulo"
    assert body["settings"] == {"theme": "dark", "language": "pt"}
    assert body["notification_preferences"]["email_weekly_summary"] is False
    assert body["notification_preferences"]["email_security_alerts"] is True


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": "utc "}, "timezone"),
        ({"notification_preferences": {"email_spam": True}}, "notification_preferences"),
        ({"notification_preferences": {"email_weekly_summary": "yes"}}, "notification_preferences"),
        ({"notification_preferences": ["email_weekly_summary"]}, "notification_preferences"),
        ({"settings": "dark"}, "settings"),
        ({"settings": {"blob": "x" * 20_000}}, "settings"),
        ({"bio": "x" * 1001}, "bio"),
    ],
)
def test_patch_refuses_bad_values_and_changes_nothing(auth_client, patch, field):
    before = auth_client.get(PROFILE).json()
    response = auth_client.patch(PROFILE, patch, format="json")
    assert response.status_code == 400
    assert field in response.json()
    after = auth_client.get(PROFILE).json()
    assert after == before


@pytest.mark.parametrize(
    ("image_format", "name", "content_type"),
    [("PNG", "a.png", "image/png"), ("JPEG", "a.jpg", "image/jpeg"), ("WEBP", "a.webp", "image/webp")],
)
def test_avatar_upload_accepts_png_jpeg_webp_and_reencodes(auth_client, user, image_format, name, content_type):
    original = picture_bytes(image_format, size=(120, 80))
    response = auth_client.patch(PROFILE, {"avatar": upload(original, name, content_type)}, format="multipart")
    assert response.status_code == 200, response.json()
    assert response.json()["avatar"].startswith("http://testserver/media/avatars/")
    user.profile.refresh_from_db()
    stored = user.profile.avatar.read()
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == image_format
        assert image.size == (120, 80)


def test_avatar_reencoding_strips_metadata(auth_client, user):
    exif = Image.Exif()
    exif[0x010E] = "secret camera note"
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32)).save(buffer, format="JPEG", exif=exif)
    response = auth_client.patch(
        PROFILE, {"avatar": upload(buffer.getvalue(), "a.jpg", "image/jpeg")}, format="multipart"
    )
    assert response.status_code == 200
    user.profile.refresh_from_db()
    assert b"secret camera note" not in user.profile.avatar.read()


def test_avatar_replacement_deletes_the_old_file_and_null_removes_it(
    auth_client, user, django_capture_on_commit_callbacks
):
    auth_client.patch(PROFILE, {"avatar": upload(picture_bytes())}, format="multipart")
    user.profile.refresh_from_db()
    first = user.profile.avatar.name
    storage = user.profile.avatar.storage
    with django_capture_on_commit_callbacks(execute=True):
        auth_client.patch(PROFILE, {"avatar": upload(picture_bytes(color=(0, 0, 0)))}, format="multipart")
    assert not storage.exists(first)
    response = auth_client.patch(PROFILE, {"avatar": None}, format="json")
    assert response.status_code == 200
    assert response.json()["avatar"] is None


SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.mark.parametrize(
    ("data", "name", "content_type"),
    [
        (SVG, "a.svg", "image/svg+xml"),
        (SVG, "a.png", "image/png"),
        (b"just some text, not a picture", "a.png", "image/png"),
        (b"", "a.png", "image/png"),
        (b"GIF89a" + picture_bytes("GIF")[6:], "a.gif", "image/gif"),
        (picture_bytes("BMP"), "a.bmp", "image/bmp"),
        (picture_bytes("PNG") + b"PK\x03\x04" + b"\x00" * 40, "a.png", "image/png"),
        (picture_bytes("PNG") + b"<html><script>alert(1)</script></html>", "a.png", "image/png"),
        (picture_bytes("PNG") + b"trailing bytes", "a.png", "image/png"),
        (picture_bytes("JPEG") + b"<?php echo 1; ?>", "a.jpg", "image/jpeg"),
        (picture_bytes("JPEG") + b"hidden payload", "a.jpg", "image/jpeg"),
        (png_with_text_chunk(b"<script>alert(1)</script>"), "a.png", "image/png"),
        (picture_bytes("PNG")[:60], "a.png", "image/png"),
        (png_pixel_bomb(), "bomb.png", "image/png"),
        (picture_bytes("PNG", size=(5000, 10)), "wide.png", "image/png"),
    ],
    ids=[
        "svg",
        "svg-named-png",
        "text",
        "empty",
        "gif",
        "bmp",
        "png+zip",
        "png+html",
        "png+trailing",
        "jpeg+php",
        "jpeg+trailing",
        "png-text-chunk-script",
        "truncated-png",
        "pixel-bomb",
        "too-wide",
    ],
)
def test_avatar_refuses_non_pictures_polyglots_and_bombs(auth_client, user, data, name, content_type):
    response = auth_client.patch(PROFILE, {"avatar": upload(data, name, content_type)}, format="multipart")
    assert response.status_code == 400, response.content
    assert "avatar" in response.json()
    user.profile.refresh_from_db()
    assert not user.profile.avatar


def test_pixel_bomb_fixture_is_small_but_huge(auth_client):
    bomb = png_pixel_bomb()
    assert len(bomb) < 200_000
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(io.BytesIO(bomb)) as image:
            assert image.size == (10_000, 10_000)


def test_avatar_over_two_megabytes_is_refused(auth_client):
    noise = io.BytesIO()
    Image.frombytes("RGB", (1200, 1200), bytes(range(256)) * (1200 * 1200 * 3 // 256)).save(noise, format="PNG")
    data = noise.getvalue()
    if len(data) <= 2 * 1024 * 1024:
        data = data + b"\x00" * (2 * 1024 * 1024 - len(data) + 1)
    response = auth_client.patch(PROFILE, {"avatar": upload(data)}, format="multipart")
    assert response.status_code == 400
    assert "2 MB" in str(response.json()["avatar"])


def test_stats_are_zero_for_a_new_user(auth_client):
    response = auth_client.get("/api/auth/stats/")
    assert response.status_code == 200
    assert response.json() == {"chatbots": 0, "flows": 0, "sessions": 0, "messages": 0}
