from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from bulletin.review import create_app
from tests.review.archive import build


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "review.db"


@pytest.fixture
def ids(db: Path) -> dict[str, int]:
    return build(db)


@pytest.fixture
def client(db: Path, ids: dict[str, int]) -> FlaskClient:
    app = create_app(str(db), "ana")
    return app.test_client()


class Page:
    """An article page as the browser got it: its text, CSRF token and review version."""

    def __init__(self, client: FlaskClient, article_id: int, query: str = ""):
        response = client.get(f"/article/{article_id}{query}")
        assert response.status_code == 200, response.status_code
        self.html = response.get_data(as_text=True)
        self.article_id = article_id
        self.client = client
        token = re.search(r'name="csrf_token" value="([^"]+)"', self.html)
        version = re.search(r'name="version" value="(\d+)"', self.html)
        assert token is not None
        assert version is not None
        self.token, self.version = token.group(1), version.group(1)

    def item_keys(self) -> list[str]:
        return [html.unescape(k) for k in dict.fromkeys(re.findall(r'name="key" value="([^"]+)"', self.html))]

    def post(self, route: str, **fields: Any) -> Any:
        data = {"csrf_token": self.token, "version": self.version, "at": "0", "q": "", **fields}
        return self.client.post(f"/article/{self.article_id}/{route}", data=data)
