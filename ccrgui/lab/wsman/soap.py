"""SOAP envelopes for the lab's WS-Management service: parse requests, build replies and faults.

Replies copy the shape of real Windows messages (see shared/reference/winrm/samples): the
`s`/`a`/`w`/`rsp`/`p` prefixes, upper-case uuids, `a:RelatesTo` echoing the request's
MessageID verbatim (pypsrp compares it as a string), and WSManFault details whose text ends
with the trailing space Windows' message tables leave.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element  # only the type; parsing goes through defusedxml
from xml.sax.saxutils import escape, quoteattr

from defusedxml import ElementTree as SafeET

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "a": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "x": "http://schemas.xmlsoap.org/ws/2004/09/transfer",
    "e": "http://schemas.xmlsoap.org/ws/2004/08/eventing",
    "n": "http://schemas.xmlsoap.org/ws/2004/09/enumeration",
    "w": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
    "p": "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd",
    "rsp": "http://schemas.microsoft.com/wbem/wsman/1/windows/shell",
    "f": "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault",
}

SHELL_URI = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd"
ANONYMOUS = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
TRANSFER = "http://schemas.xmlsoap.org/ws/2004/09/transfer"
SHELL = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
ACTION_CREATE = f"{TRANSFER}/Create"
ACTION_DELETE = f"{TRANSFER}/Delete"
ACTION_COMMAND = f"{SHELL}/Command"
ACTION_RECEIVE = f"{SHELL}/Receive"
ACTION_SEND = f"{SHELL}/Send"
ACTION_SIGNAL = f"{SHELL}/Signal"
WSMAN_FAULT_ACTION = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"
ADDRESSING_FAULT_ACTION = "http://schemas.xmlsoap.org/ws/2004/08/addressing/fault"
STATE_DONE = f"{SHELL}/CommandState/Done"
STATE_RUNNING = f"{SHELL}/CommandState/Running"
SIGNAL_TERMINATE = f"{SHELL}/signal/terminate"
SIGNAL_CTRL_C = f"{SHELL}/signal/ctrl_c"
SIGNAL_CTRL_BREAK = f"{SHELL}/signal/ctrl_break"

# The namespace declarations Windows puts on each kind of reply (copied from the recordings).
_DECL_FULL = ("s", "a", "x", "w", "rsp", "p")
_DECL_RECEIVE = ("s", "a", "w", "rsp", "p")
_DECL_DELETE = ("s", "a", "w", "p")
_DECL_FAULT = ("s", "a", "x", "e", "n", "w", "p")


def _q(prefix: str, local: str) -> str:
    return f"{{{NS[prefix]}}}{local}"


def new_uuid() -> str:
    """A fresh message/shell id in Windows' upper-case form."""
    return str(uuid.uuid4()).upper()


# ---- faults ----------------------------------------------------------------------------------


@dataclass
class WSManFault(Exception):
    """A SOAP fault Windows would send; `render()` builds the envelope."""

    code: str  # "s:Sender" / "s:Receiver" / "s:MustUnderstand"
    subcode: str | None
    reason: str
    wsman_code: int | None = None
    message: str | None = None  # f:Message text; defaults to the reason
    fault_detail: str | None = None  # w:FaultDetail URI
    provider_fault: tuple[str, str] | None = None  # (provider, path) for winrscmd.dll faults
    http_status: int = 500
    action: str = WSMAN_FAULT_ACTION

    def __str__(self) -> str:
        return f"{self.subcode or self.code}: {self.reason.strip()}"

    def render(self, relates_to: str | None, machine: str) -> bytes:
        detail = ""
        if self.fault_detail:
            detail += f"<w:FaultDetail>{escape(self.fault_detail)}</w:FaultDetail>"
        if self.wsman_code is not None:
            text = escape(self.message if self.message is not None else self.reason)
            if self.provider_fault:
                provider, path = self.provider_fault
                text = (
                    f"<f:ProviderFault provider={quoteattr(provider)} path={quoteattr(path)}>"
                    f"{text}</f:ProviderFault>"
                )
            detail += (
                f'<f:WSManFault xmlns:f="{NS["f"]}" Code="{self.wsman_code}" '
                f"Machine={quoteattr(machine)}><f:Message>{text}</f:Message></f:WSManFault>"
            )
        subcode = f"<s:Subcode><s:Value>{escape(self.subcode)}</s:Value></s:Subcode>" if self.subcode else ""
        body = (
            f"<s:Fault><s:Code><s:Value>{escape(self.code)}</s:Value>{subcode}</s:Code>"
            f'<s:Reason><s:Text xml:lang="en-US">{escape(self.reason)}</s:Text></s:Reason>'
            + (f"<s:Detail>{detail}</s:Detail>" if detail else "")
            + "</s:Fault>"
        )
        return envelope(self.action, relates_to, body, _DECL_FAULT)


def fault_timed_out() -> WSManFault:
    text = (
        "The WS-Management service cannot complete the operation within the time specified in "
        "OperationTimeout.  "
    )
    return WSManFault("s:Receiver", "w:TimedOut", text, 2150858793)


_INVALID_SELECTORS = (
    "The WS-Management service cannot process the request because the request contained invalid "
    "selectors for the resource. "
)


def _invalid_selectors(message: str, detail: str = "UnexpectedSelectors") -> WSManFault:
    """w:InvalidSelectors (2150858843): the shell or command a request names does not exist."""
    return WSManFault(
        "s:Sender",
        "w:InvalidSelectors",
        _INVALID_SELECTORS,
        2150858843,
        message=message,
        fault_detail=f"http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/{detail}",
    )


def fault_unknown_command() -> WSManFault:
    return _invalid_selectors(
        "The Windows Remote Shell received a request to perform an operation on a command identifier "
        "that does not exist. Either the command has completed execution or the client specified an "
        "invalid command identifier. "
    )


def fault_unknown_shell(shell_id: str) -> WSManFault:
    return _invalid_selectors(
        f"The request for the Windows Remote Shell with ShellId {shell_id} failed because the shell "
        "was not found on the server. Possible causes are: the specified ShellId is incorrect or the "
        "shell no longer exists on the server. Provide the correct ShellId or create a new shell and "
        "retry the operation. "
    )


def fault_missing_shell_selector() -> WSManFault:
    return _invalid_selectors(
        "The Windows Remote Shell cannot process the request because it requires the following "
        "selector: ShellId. ",
        "InsufficientSelectors",
    )


def fault_invalid_parameter() -> WSManFault:
    """What winrscmd.dll answers to a request it cannot make sense of (e.g. no CommandId)."""
    return WSManFault(
        "s:Sender",
        "w:InvalidParameter",
        "The parameter is incorrect. ",
        87,
        fault_detail="http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/InvalidValue",
        provider_fault=("Shell cmd plugin", "%systemroot%\\system32\\winrscmd.dll"),
    )


def fault_create_process(code: int, message: str) -> WSManFault:
    """The shell plug-in could not start the program; the Win32 error comes back as a provider fault."""
    text = message.rstrip() + " "
    return WSManFault(
        "s:Receiver",
        "w:InternalError",
        text,
        code,
        provider_fault=("Shell cmd plugin", "%systemroot%\\system32\\winrscmd.dll"),
    )


def fault_action_not_supported(action: str) -> WSManFault:
    return WSManFault(
        "s:Sender",
        "a:ActionNotSupported",
        "The WS-Management service does not support the action specified in the request. ",
        2150858771,
        action=ADDRESSING_FAULT_ACTION,
    )


def fault_resource_not_found() -> WSManFault:
    return WSManFault(
        "s:Sender",
        "w:DestinationUnreachable",
        "The WS-Management service cannot process the request. The service cannot find the resource "
        "identified by the resource URI and selectors. ",
        2150858752,
        fault_detail="http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/InvalidResourceURI",
    )


def fault_invalid_xml() -> WSManFault:
    return WSManFault(
        "s:Sender",
        "w:SchemaValidationError",
        "The WS-Management service cannot process the request because the XML is invalid. ",
        2150858819,
    )


def fault_invalid_header() -> WSManFault:
    return WSManFault(
        "s:Sender",
        "a:InvalidMessageInformationHeader",
        "The WS-Management service cannot process the request. The request contains one or more invalid "
        "SOAP headers. ",
        2150858767,
        action=ADDRESSING_FAULT_ACTION,
    )


def fault_encoding_limit() -> WSManFault:
    return WSManFault(
        "s:Sender",
        "w:EncodingLimit",
        "The WS-Management service cannot process the request because the encoding of the request exceeds "
        "an internal encoding limit. Reconfigure the client to send messages which fit the encoding limits "
        "of the service. ",
        2150858805,
        fault_detail="http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/MaxEnvelopeSize",
    )


def fault_access_denied() -> WSManFault:
    return WSManFault("s:Sender", "w:AccessDenied", "Access is denied. ", 5)


def fault_internal_error() -> WSManFault:
    """The lab's injected HTTP 500: an internal failure carrying a Win32 error (RPC_S_CALL_FAILED)."""
    return WSManFault("s:Receiver", "w:InternalError", "The remote procedure call failed. ", 1726)


# ---- replies ---------------------------------------------------------------------------------


def envelope(action: str, relates_to: str | None, body: str, decl: tuple[str, ...] = _DECL_FULL) -> bytes:
    """A reply envelope with Windows' header set: Action, fresh MessageID, To anonymous, RelatesTo."""
    xmlns = " ".join(f'xmlns:{p}="{NS[p]}"' for p in decl)
    relates = f"<a:RelatesTo>{escape(relates_to)}</a:RelatesTo>" if relates_to is not None else ""
    text = (
        f'<s:Envelope xml:lang="en-US" {xmlns}><s:Header>'
        f"<a:Action>{escape(action)}</a:Action>"
        f"<a:MessageID>uuid:{new_uuid()}</a:MessageID>"
        f"<a:To>{ANONYMOUS}</a:To>{relates}</s:Header>"
        f"<s:Body>{body}</s:Body></s:Envelope>"
    )
    return text.encode("utf-8")


def receive_decl() -> tuple[str, ...]:
    return _DECL_RECEIVE


def delete_decl() -> tuple[str, ...]:
    return _DECL_DELETE


# ---- requests --------------------------------------------------------------------------------


@dataclass
class Request:
    """The parts of a WS-Man request the shell plug-in needs."""

    action: str
    message_id: str | None
    resource_uri: str | None
    operation_timeout_s: float | None
    max_envelope_size: int | None
    selectors: dict[str, str] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)
    body: Element | None = None


_DURATION = re.compile(
    r"^P(?:(?P<d>\d+(?:\.\d+)?)D)?(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(text: str) -> float | None:
    """xs:duration (PT20S, PT7200.000S, P0DT0H1M0S) to seconds; None if not a duration."""
    m = _DURATION.match(text.strip())
    if not m or text.strip() in ("P", "PT"):
        return None
    parts = {k: float(v) if v else 0.0 for k, v in m.groupdict().items()}
    return parts["d"] * 86400 + parts["h"] * 3600 + parts["m"] * 60 + parts["s"]


def format_duration(seconds: float) -> str:
    """Windows' form of an idle timeout in the Create reply, e.g. PT7200.000S."""
    return f"PT{seconds:.3f}S"


def parse_request(data: bytes) -> Request:
    """Parse a SOAP request with defusedxml; malformed or non-SOAP input is a WS-Man fault."""
    try:
        root = SafeET.fromstring(data)
    except Exception as exc:  # ParseError, DTD/entity refusals from defusedxml...
        raise fault_invalid_xml() from exc
    if root.tag != _q("s", "Envelope"):
        raise fault_invalid_xml()
    header = root.find(_q("s", "Header"))
    body = root.find(_q("s", "Body"))
    if header is None or body is None:
        raise fault_invalid_xml()

    def text(tag: str) -> str | None:
        el = header.find(tag)
        return None if el is None or el.text is None else el.text.strip()

    action = text(_q("a", "Action"))
    if not action:
        raise fault_invalid_header()
    timeout_text = text(_q("w", "OperationTimeout"))
    timeout = parse_duration(timeout_text) if timeout_text else None
    if timeout_text and timeout is None:
        raise fault_invalid_header()
    size_text = text(_q("w", "MaxEnvelopeSize"))
    try:
        max_size = int(size_text) if size_text else None
    except ValueError as exc:
        raise fault_invalid_header() from exc
    selectors: dict[str, str] = {}
    sel_set = header.find(_q("w", "SelectorSet"))
    if sel_set is not None:
        for sel in sel_set.findall(_q("w", "Selector")):
            selectors[sel.get("Name", "")] = (sel.text or "").strip()
    options: dict[str, str] = {}
    opt_set = header.find(_q("w", "OptionSet"))
    if opt_set is not None:
        for opt in opt_set.findall(_q("w", "Option")):
            options[opt.get("Name", "").upper()] = (opt.text or "").strip()
    return Request(
        action=action,
        message_id=text(_q("a", "MessageID")),
        resource_uri=text(_q("w", "ResourceURI")),
        operation_timeout_s=timeout,
        max_envelope_size=max_size,
        selectors=selectors,
        options=options,
        body=body,
    )


def qname(prefix: str, local: str) -> str:
    """Clark notation for a prefix used in this module, for callers walking request bodies."""
    return _q(prefix, local)


def is_true(value: str | None) -> bool:
    """WinRS flags arrive as TRUE/True/true (pywinrm and pypsrp differ)."""
    return (value or "").strip().casefold() in ("true", "1")
