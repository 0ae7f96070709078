"""CLIXML (PowerShell serialization, MS-PSRP 2.2.5) for Export-Clixml / Import-Clixml."""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as SafeET

from .errors import clixml_escape
from .values import (
    Int64,
    PSEnum,
    PSGuid,
    PSHashtable,
    PSObject,
    PSProperty,
    TypedInt,
    UInt32,
    UInt64,
    dotnet_type,
    to_string,
)

NS = "http://schemas.microsoft.com/powershell/2004/04"


class _Ser:
    def __init__(self) -> None:
        self.ref = 0
        self.tn: dict[tuple[str, ...], int] = {}

    def tn_xml(self, names: tuple[str, ...]) -> str:
        if names in self.tn:
            return f'<TNRef RefId="{self.tn[names]}" />'
        rid = len(self.tn)
        self.tn[names] = rid
        return f'<TN RefId="{rid}">' + "".join(f"<T>{clixml_escape(t)}</T>" for t in names) + "</TN>"

    def value(self, v: Any, name: str | None, depth: int) -> str:
        n = f' N="{clixml_escape(name)}"' if name is not None else ""
        primitive = self.primitive(v, n)
        if primitive is not None:
            return primitive
        return self.obj(v, n, depth)

    def primitive(self, v: Any, n: str) -> str | None:
        """A value CLIXML writes as one element (None when `v` needs an <Obj>)."""
        if v is None:
            return f"<Nil{n} />"
        if isinstance(v, bool):
            return f"<B{n}>{'true' if v else 'false'}</B>"
        if isinstance(v, TypedInt):
            tag = {
                "System.UInt32": "U32",
                "System.UInt64": "U64",
                "System.Int64": "I64",
                "System.Byte": "By",
                "System.UInt16": "U16",
            }.get(v.dotnet, "I32")
            return f"<{tag}{n}>{int(v)}</{tag}>"
        if isinstance(v, int):
            tag = "I32" if -(2**31) <= v < 2**31 else "I64"
            return f"<{tag}{n}>{v}</{tag}>"
        if isinstance(v, float):
            return f"<Db{n}>{v!r}</Db>"
        if isinstance(v, str):
            return f"<S{n}>{clixml_escape(v)}</S>"
        if isinstance(v, dt.datetime):
            text = v.isoformat()
            if v.tzinfo is not None:
                text = text.replace("+00:00", "Z")
            return f"<DT{n}>{text}</DT>"
        if isinstance(v, PSGuid):
            return f"<G{n}>{v}</G>"
        if isinstance(v, bytes | bytearray):
            return f"<BA{n}>{base64.b64encode(bytes(v)).decode('ascii')}</BA>"
        return None

    def obj(self, v: Any, n: str, depth: int) -> str:
        rid = self.ref
        self.ref += 1
        if isinstance(v, PSEnum):
            return (
                f'<Obj{n} RefId="{rid}">'
                + self.tn_xml((v.type_name, "System.Enum", "System.ValueType", "System.Object"))
                + f"<ToString>{clixml_escape(v.name)}</ToString><I32>{v.value}</I32></Obj>"
            )
        if isinstance(v, list):
            items = "".join(self.value(x, None, depth - 1) for x in v) if depth > 0 else ""
            return (
                f'<Obj{n} RefId="{rid}">'
                + self.tn_xml((dotnet_type(v), "System.Array", "System.Object"))
                + f"<LST>{items}</LST></Obj>"
            )
        if isinstance(v, PSHashtable):
            ens = "".join(
                f"<En>{self.value(k, 'Key', depth - 1)}{self.value(x, 'Value', depth - 1)}</En>"
                for k, x in v.items()
            )
            return (
                f'<Obj{n} RefId="{rid}">'
                + self.tn_xml(("System.Collections.Hashtable", "System.Object"))
                + f"<DCT>{ens}</DCT></Obj>"
            )
        if isinstance(v, PSObject):
            custom = v.type_name == "System.Management.Automation.PSCustomObject"
            tag = "MS" if custom else "Props"
            if depth <= 0:
                return (
                    f'<Obj{n} RefId="{rid}">'
                    + self.tn_xml((v.type_name, "System.Object"))
                    + f"<ToString>{clixml_escape(v.str_value())}</ToString></Obj>"
                )
            body = "".join(self.value(p.value, p.name, depth - 1) for p in v.props)
            ts = "" if custom else f"<ToString>{clixml_escape(v.str_value())}</ToString>"
            return (
                f'<Obj{n} RefId="{rid}">'
                + self.tn_xml((v.type_name, "System.Object"))
                + ts
                + f"<{tag}>{body}</{tag}></Obj>"
            )
        return f"<S{n}>{clixml_escape(to_string(v))}</S>"


def serialize(items: list[Any], depth: int = 2) -> str:
    s = _Ser()
    body = "".join(s.value(i, None, depth) for i in items)
    return f'<Objs Version="1.1.0.1" xmlns="{NS}">{body}</Objs>'


def _unescape(text: str | None) -> str:
    import re

    if not text:
        return ""
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), text)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


class _De:
    def __init__(self) -> None:
        self.tn: dict[str, list[str]] = {}

    def value(self, el: Element) -> Any:
        tag = _local(el.tag)
        text = el.text or ""
        scalar = _SCALARS.get(tag)
        if scalar is not None:
            return scalar(text)
        if tag == "Obj":
            return self.obj(el)
        return _unescape(text)

    def obj(self, el: Element) -> Any:
        names: list[str] = []
        obj = PSObject("Deserialized.System.Object")
        result: Any = obj
        for child in el:
            ct = _local(child.tag)
            if ct == "TN":
                names = [t.text or "" for t in child]
                self.tn[child.get("RefId", "")] = names
            elif ct == "TNRef":
                names = self.tn.get(child.get("RefId", ""), [])
            elif ct == "ToString":
                obj.to_string = _unescape(child.text)
            elif ct in ("MS", "Props"):
                for p in child:
                    obj.props.append(PSProperty(p.get("N", ""), self.value(p)))
            elif ct in ("LST", "IE", "STK", "QUE"):
                result = [self.value(x) for x in child]
            elif ct == "DCT":
                h = PSHashtable()
                for en in child:
                    kv = {x.get("N"): self.value(x) for x in en}
                    h.put(kv.get("Key"), kv.get("Value"))
                result = h
        if names:
            first = names[0]
            if first == "System.Management.Automation.PSCustomObject":
                obj.type_name = first
            else:
                obj.type_name = "Deserialized." + first
        return result


# Element tag -> its value, for the elements that hold one value as text.
_SCALARS: dict[str, Callable[[str], Any]] = {
    "Nil": lambda text: None,
    "B": lambda text: text.strip().lower() == "true",
    "I32": int,
    "I16": int,
    "SB": int,
    "I64": lambda text: Int64(int(text)),
    "U32": lambda text: UInt32(int(text)),
    "U64": lambda text: UInt64(int(text)),
    "Db": float,
    "Sg": float,
    "D": float,
    "S": _unescape,
    "DT": lambda text: dt.datetime.fromisoformat(text.replace("Z", "+00:00")),
    "G": lambda text: PSGuid(uuid.UUID(text)),
    "BA": base64.b64decode,
}


def deserialize(text: str) -> list[Any]:
    root = SafeET.fromstring(text)
    d = _De()
    return [d.value(el) for el in root]
