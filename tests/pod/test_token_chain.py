"""helpers/oauth_proxy.TokenChain: single-use refresh tokens, generations, server-side expiry."""

from __future__ import annotations

from helpers.leaks import leaked
from helpers.oauth_proxy import TokenChain


def test_each_refresh_token_works_once_and_yields_the_next_generation():
    chain = TokenChain()
    a1, r1 = chain.login()
    assert chain.names([a1, r1]) == ["login1 A1", "login1 R1"]
    a2, r2 = chain.refresh(r1)
    assert chain.names([a2, r2]) == ["login1 A2", "login1 R2"]
    assert chain.refresh(r1) is None  # spent: the proxy answers invalid_grant
    assert chain.names(chain.refresh(r2)) == ["login1 A3", "login1 R3"]
    assert chain.refresh("sk-ant-ort01-unknown") is None
    assert chain.name("sk-ant-ort01-unknown") == "an unknown token" and chain.name("") == "empty"


def test_logins_are_independent_chains():
    chain = TokenChain()
    _, first = chain.login()
    _, second = chain.login()
    assert chain.names([first, second]) == ["login1 R1", "login2 R1"]
    assert chain.names(chain.refresh(second)) == ["login2 A2", "login2 R2"]
    assert chain.refresh(first) is not None  # a new login leaves the other chain as it was


def test_server_side_expiry_refuses_every_access_token_issued_so_far():
    chain = TokenChain()
    a1, r1 = chain.login()
    assert chain.accepts(a1)
    chain.expire_access_tokens()
    assert not chain.accepts(a1)
    a2, _ = chain.refresh(r1)  # the refresh token still works after its access token expired
    assert chain.accepts(a2) and not chain.accepts("sk-ant-oat01-other")


def test_tokens_are_canaries_the_leak_check_finds():
    chain = TokenChain()
    access, refresh = chain.login()
    assert leaked(f"x{access}x", chain.tokens()) and leaked(refresh, chain.tokens())
    assert "CANARY" in access and access.startswith("sk-ant-oat01-") and refresh.startswith("sk-ant-ort01-")
