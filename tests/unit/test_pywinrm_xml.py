"""pywinrm parses WS-Man replies itself: through ccrgui's transport it must refuse entities/DTDs."""

from __future__ import annotations

import defusedxml
import pytest
import winrm.protocol

import ccrgui.remote.transport  # noqa: F401  (installs the hardened parser into pywinrm)

EVIL = (
    '<?xml version="1.0"?><!DOCTYPE s [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
    '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>&b;</s:Body></s:Envelope>'
)


def test_pywinrm_refuses_a_reply_with_entities(monkeypatch: pytest.MonkeyPatch) -> None:
    proto = winrm.protocol.Protocol(
        "https://127.0.0.1:1/wsman", transport="basic", username="u", password="p"
    )
    monkeypatch.setattr(proto.transport, "send_message", lambda message: EVIL.encode())
    with pytest.raises(defusedxml.DefusedXmlException):
        proto.open_shell()


def test_pywinrm_still_reads_a_normal_reply(monkeypatch: pytest.MonkeyPatch) -> None:
    reply = (
        '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
        'xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"><s:Body>'
        '<w:Selector xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" Name="ShellId">'
        "11111111-2222-3333-4444-555555555555</w:Selector>"
        "</s:Body></s:Envelope>"
    )
    proto = winrm.protocol.Protocol(
        "https://127.0.0.1:1/wsman", transport="basic", username="u", password="p"
    )
    monkeypatch.setattr(proto.transport, "send_message", lambda message: reply.encode())
    assert proto.open_shell() == "11111111-2222-3333-4444-555555555555"
