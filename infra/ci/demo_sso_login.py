"""Signs in to the demo company's portal through its local OpenID provider, as a browser would
(without one): the login page, the provider's login and consent forms, our callback, the portal's
home page it lands on (HTML), then the API with the session cookie. Used by embedded_run_check.sh;
prints who signed in.

    .venv/bin/python infra/ci/demo_sso_login.py http://127.0.0.1:8000 someone@northwind.example
"""

from __future__ import annotations

import re
import sys
from urllib.parse import urljoin

import httpx


def sign_in(base: str, login: str) -> dict[str, object]:
    with httpx.Client(follow_redirects=False, timeout=15) as browser:
        url = f"{base}/auth/northwind/login"
        for _ in range(15):
            response = browser.get(url)
            if response.status_code in (302, 303):
                url = urljoin(url, response.headers["location"])
                if url.startswith(base) and "/callback" not in url:
                    break
                continue
            if response.status_code != 200:
                raise SystemExit(f"error: {url} answered {response.status_code}: {response.text[:300]}")
            action = re.search(r'action="([^"]+)"', response.text)
            if action is None:
                raise SystemExit(f"error: no form at {url}")
            data = {"prompt": "login", "login": login, "password": "x"} if 'name="login"' in response.text else {}
            data = data or {"prompt": "consent"}
            posted = browser.post(urljoin(url, action.group(1)), data=data)
            url = urljoin(url, posted.headers["location"])
        else:
            raise SystemExit("error: the login did not come back to the portal")
        home = browser.get(url, headers={"Accept": "text/html"})
        if url != f"{base}/home" or home.status_code != 200 or not home.headers["content-type"].startswith("text/html"):
            raise SystemExit(f"error: the sign-in did not land on the portal's home page: {url} {home.status_code}")
        me = browser.get(f"{base}/api/v1/me")
        session = browser.get(f"{base}/auth/session")
        if me.status_code != 200 or session.status_code != 200:
            raise SystemExit(f"error: signed-in calls failed: {me.status_code} {session.status_code}")
        return {"email": me.json()["email"], "roles": session.json()["roles"]}


if __name__ == "__main__":
    result = sign_in(sys.argv[1].rstrip("/"), sys.argv[2])
    print(f"signed in through SSO as {result['email']} with roles {', '.join(map(str, result['roles']))}")
