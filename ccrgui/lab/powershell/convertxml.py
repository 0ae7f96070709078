"""ConvertTo-Xml as Windows PowerShell 2.0 writes it.

Element rules follow PowerShell's CustomSerialization (CustomInternalSerializer.WriteOneObject):
null -> an empty element without Type (a null *property* keeps the property's declared type);
primitive known types -> `<Property Name=".." Type="System.X">text</Property>`; lists and
hashtables -> a typed element holding one `<Property Type="..">` per item (Key/Value pairs for
dictionaries); other objects -> their properties at depth-1, or their ToString() with their own type
when the depth is used up.  Windows PowerShell's XmlTextWriter writes `<?xml version="1.0"?>`
(no encoding attribute), indents by two spaces, ends lines with CRLF and closes empty elements
with " />"; WriteString("") leaves an element empty.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from .errors import ErrorRecord
from .values import (
    PSEnum,
    PSGuid,
    PSHashtable,
    PSObject,
    TimeSpan,
    TypeRef,
    datetime_display,
    dotnet_type,
    format_float,
    to_string,
)

XML_DECL = '<?xml version="1.0"?>'


def _esc_text(s: str) -> str:
    out = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "".join(c if (ord(c) >= 0x20 or c in "\t\r\n") else f"&#x{ord(c):X};" for c in out)


def _esc_attr(s: str) -> str:
    return _esc_text(s).replace('"', "&quot;")


def _is_primitive(v: Any) -> bool:
    return isinstance(v, str | bool | int | float | decimal.Decimal | dt.datetime | PSGuid | TimeSpan | bytes)


def _primitive_text(v: Any) -> str:
    if isinstance(v, bool):
        return "True" if v else "False"
    if isinstance(v, float):
        return format_float(v)
    if isinstance(v, dt.datetime):
        return datetime_display(v)
    if isinstance(v, bytes):
        import base64

        return base64.b64encode(v).decode("ascii")
    return to_string(v)


class _Writer:
    def __init__(self, notype: bool) -> None:
        self.notype = notype
        self.lines: list[str] = []

    def element(
        self,
        indent: int,
        tag: str,
        name: str | None,
        type_name: str | None,
        text: str | None,
        children: list[tuple[Any, ...]] | None = None,
    ) -> None:
        attrs = ""
        if name is not None:
            attrs += f' Name="{_esc_attr(name)}"'
        if type_name is not None and not self.notype:
            attrs += f' Type="{_esc_attr(type_name)}"'
        pad = "  " * indent
        if children:
            self.lines.append(f"{pad}<{tag}{attrs}>")
            for child in children:
                self.write(indent + 1, *child)
            self.lines.append(f"{pad}</{tag}>")
        elif text:
            self.lines.append(f"{pad}<{tag}{attrs}>{_esc_text(text)}</{tag}>")
        else:
            self.lines.append(f"{pad}<{tag}{attrs} />")

    def write(
        self,
        indent: int,
        value: Any,
        prop: str | None,
        depth: int,
        tag: str = "Property",
        declared: str | None = None,
    ) -> None:
        if value is None:
            self.element(indent, tag, prop, declared if prop is not None else None, None)
            return
        if _is_primitive(value):
            self.element(indent, tag, prop, dotnet_type(value), _primitive_text(value))
            return
        if isinstance(value, list | bytearray):
            items: list[tuple[Any, ...]] = [(item, None, depth) for item in value]
            self.element(indent, tag, prop, dotnet_type(value), None, items)
            return
        if isinstance(value, PSHashtable):
            pairs: list[tuple[Any, ...]] = []
            for k, v in value.items():
                pairs.append((k, "Key", depth))
                pairs.append((v, "Value", depth))
            self.element(indent, tag, prop, "System.Collections.Hashtable", None, pairs)
            return
        if isinstance(value, PSEnum):
            if depth == 0:
                self.element(indent, tag, prop, value.type_name, value.name)
            else:
                self.element(indent, tag, prop, value.type_name, None, [(value.value, "value__", depth - 1)])
            return
        props = _properties(value)
        if depth == 0 or props is None:
            text = value.str_value() if isinstance(value, PSObject) else to_string(value)
            self.element(indent, tag, prop, dotnet_type(value), text)
            return
        kids = [(v, name, depth - 1, "Property", declared_type) for name, v, declared_type in props]
        self.element(indent, tag, prop, dotnet_type(value), None, kids)


def _properties(value: Any) -> list[tuple[str, Any, str]] | None:
    if isinstance(value, PSObject):
        return [(p.name, p.value, p.type_name or "System.Object") for p in value.props]
    if isinstance(value, ErrorRecord):
        return [
            ("Exception", value.message, "System.Exception"),
            ("TargetObject", value.target, "System.Object"),
            ("CategoryInfo", value.category_info(), "System.Management.Automation.ErrorCategoryInfo"),
            ("FullyQualifiedErrorId", value.error_id, "System.String"),
            ("ErrorDetails", None, "System.Management.Automation.ErrorDetails"),
            ("InvocationInfo", None, "System.Management.Automation.InvocationInfo"),
        ]
    if isinstance(value, TypeRef):
        return None
    return None


def convert_to_xml(items: list[Any], depth: int, notype: bool, as_: str) -> Any:
    bodies: list[list[str]] = []
    for item in items:
        w = _Writer(notype)
        w.write(0, item, None, depth, tag="Object")
        bodies.append(w.lines)
    if as_ == "stream":
        return [XML_DECL, "<Objects>"] + ["\r\n".join(b) for b in bodies] + ["</Objects>"]
    lines = [XML_DECL, "<Objects>"]
    for b in bodies:
        lines.extend("  " + line for line in b)
    lines.append("</Objects>")
    text = "\r\n".join(lines) if bodies else XML_DECL + "\r\n<Objects />"
    if as_ == "string":
        return text
    doc = PSObject(
        "System.Xml.XmlDocument",
        to_string="System.Xml.XmlDocument",
        default_view="table",
        table_columns=("xml", "Objects"),
    )
    doc.set("xml", 'version="1.0"')
    doc.set("Objects", "Objects")
    doc.set("OuterXml", "".join(line.strip() for line in lines))
    doc.set("InnerXml", "".join(line.strip() for line in lines))
    return doc
