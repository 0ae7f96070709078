"""Finds clipped text in a shown widget tree: every visible label, button, combo box, header and
item-view cell either fits, or is elided with its whole text in its tooltip (issue 14).

Also reports scroll areas showing scroll bars inside another scroll area (one scroll area per pane).
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QRect, QSize, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractScrollArea,
    QCheckBox,
    QComboBox,
    QHeaderView,
    QLabel,
    QRadioButton,
    QStyle,
    QStyleOptionComboBox,
    QTreeView,
    QWidget,
)

SLACK = 2  # pixels of rounding


def _shown(w: QWidget) -> bool:
    return w.isVisible() and not w.visibleRegion().isEmpty() and w.width() > 0


def _visible_width(w: QWidget) -> int:
    """The width of the part of `w` its ancestors let through (a button wider than its pane)."""
    return min(w.width(), w.visibleRegion().boundingRect().right() + 1)


def _text_width(w: QWidget, text: str) -> int:
    fm = w.fontMetrics()
    return max((fm.horizontalAdvance(line) for line in text.replace("&&", "&").split("\n")), default=0)


def _name(w: QWidget) -> str:
    names: list[str] = []
    cur: QWidget | None = w
    while cur is not None and len(names) < 4:
        names.append(cur.objectName() or cur.accessibleName() or type(cur).__name__)
        cur = cur.parentWidget()
    return "/".join(reversed(names))


def _tooltip_has(tip: object, text: str) -> bool:
    return isinstance(tip, str) and " ".join(text.split()) in " ".join(tip.split())


def label_problems(label: QLabel) -> list[str]:
    text = label.text()
    if not text or (label.pixmap() is not None and not label.pixmap().isNull()):
        return []
    if label.wordWrap():
        need_h = label.heightForWidth(label.contentsRect().width())
        if need_h > label.contentsRect().height() + SLACK:
            return [f"label {_name(label)} {text[:60]!r}: needs {need_h} px height, has {label.height()}"]
        return []
    plain = text.replace("&", "") if label.buddy() is not None else text
    need = _text_width(label, plain) + 2 * label.margin() + max(0, label.indent())
    has = min(label.contentsRect().width(), _visible_width(label))
    if need > has + SLACK and not _tooltip_has(label.toolTip(), plain):
        return [f"label {_name(label)} {plain[:60]!r}: needs {need} px, has {has}"]
    return []


def button_problems(button: QAbstractButton) -> list[str]:
    text = button.text().replace("&&", "\0").replace("&", "").replace("\0", "&")
    if not text:
        return []
    hint = button.sizeHint().width()
    if isinstance(button, QCheckBox | QRadioButton):
        hint = button.minimumSizeHint().width()
    has = _visible_width(button)
    if has + SLACK < hint and not _tooltip_has(button.toolTip(), text):
        return [f"button {_name(button)} {text!r}: needs {hint} px, has {has}"]
    return []


def combo_problems(combo: QComboBox) -> list[str]:
    if combo.isEditable() or combo.count() == 0:
        return []
    fm = combo.fontMetrics()
    longest = max(fm.horizontalAdvance(combo.itemText(i)) for i in range(combo.count()))
    # The frame, arrow and margins the style adds to the text.
    opt = QStyleOptionComboBox()
    combo.initStyleOption(opt)
    size = QSize(longest, fm.height())
    need = combo.style().sizeFromContents(QStyle.ContentsType.CT_ComboBox, opt, size, combo).width()
    has = _visible_width(combo)
    if has + SLACK < need:
        return [f"combo {_name(combo)} {combo.currentText()!r}: needs {need} px, has {has}"]
    return []


def header_problems(header: QHeaderView) -> list[str]:
    out: list[str] = []
    model = header.model()
    if model is None or header.orientation() is not Qt.Orientation.Horizontal:
        return out
    shown = [header.logicalIndex(v) for v in range(header.count())]
    last_visible = max(
        (i for i in shown if not header.isSectionHidden(i)), key=header.visualIndex, default=-1
    )
    for logical in range(header.count()):
        if header.isSectionHidden(logical) or header.sectionSize(logical) == 0:
            continue
        x = header.sectionViewportPosition(logical)
        if x < 0 or x + header.sectionSize(logical) > header.viewport().width():
            continue  # scrolled (partly) out of view
        need = header.sectionSizeFromContents(logical).width()
        if logical == last_visible and header.stretchLastSection():
            need = min(need, header.sectionSize(logical))
        title = model.headerData(logical, Qt.Orientation.Horizontal)
        tip = model.headerData(logical, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
        if header.sectionSize(logical) + SLACK < need and not _tooltip_has(tip, str(title)):
            has = header.sectionSize(logical)
            out.append(f"header {_name(header)} {title!r}: needs {need} px, has {has}")
    return out


def _cell_need(view: QAbstractItemView, index: QModelIndex, text: str) -> int:
    need = view.fontMetrics().horizontalAdvance(text) + 8  # the item's text margins
    if index.data(Qt.ItemDataRole.DecorationRole) is not None:
        need += view.iconSize().width() if view.iconSize().width() > 0 else 16
        need += 6
    if isinstance(view, QTreeView) and index.column() == 0:
        pass  # visualRect already starts after the indentation
    return need


def view_problems(view: QAbstractItemView) -> list[str]:
    model = view.model()
    if model is None:
        return []
    out = []
    viewport = view.viewport().rect()
    pending = [QModelIndex()]
    while pending:
        parent = pending.pop()
        try:
            columns = model.columnCount(parent)
        except TypeError:  # QAbstractListModel hides columnCount: one column
            columns = 1
        for row in range(model.rowCount(parent)):
            for column in range(columns):
                index = model.index(row, column, parent)
                rect: QRect = view.visualRect(index)
                if rect.isEmpty() or not rect.intersects(viewport):
                    continue
                if isinstance(view, QTreeView) and view.isColumnHidden(column):
                    continue
                text = index.data(Qt.ItemDataRole.DisplayRole)
                if not isinstance(text, str) or not text:
                    continue
                text = text.split("\n", 1)[0]
                shown = rect.intersected(viewport).width()
                need = _cell_need(view, index, text)
                if need > shown + SLACK and not _tooltip_has(index.data(Qt.ItemDataRole.ToolTipRole), text):
                    where = f"{_name(view)} [{row},{column}] {text[:50]!r}"
                    out.append(f"cell {where}: needs {need} px, shows {shown}")
            if isinstance(view, QTreeView) and view.isExpanded(model.index(row, 0, parent)):
                pending.append(model.index(row, 0, parent))
    return out


def nested_scroll_problems(area: QAbstractScrollArea) -> list[str]:
    outer = area.parentWidget()
    while outer is not None and not isinstance(outer, QAbstractScrollArea):
        outer = outer.parentWidget()
    if outer is None:
        return []
    bars = [b for b in (area.horizontalScrollBar(), area.verticalScrollBar()) if b.isVisible()]
    if bars:
        return [f"scroll bars of {_name(area)} inside the scroll area {_name(outer)}"]
    return []


def clipping_problems(top: QWidget) -> list[str]:
    """Every clipped text (and nested scroll bar) in the visible part of `top`."""
    found: list[str] = []
    for w in [top, *top.findChildren(QWidget)]:
        if not _shown(w):
            continue
        if isinstance(w, QLabel):
            found += label_problems(w)
        elif isinstance(w, QAbstractButton):
            found += button_problems(w)
        elif isinstance(w, QComboBox):
            found += combo_problems(w)
        elif isinstance(w, QHeaderView):
            found += header_problems(w)
        if isinstance(w, QAbstractItemView) and not isinstance(w, QHeaderView):
            found += view_problems(w)
        if isinstance(w, QAbstractScrollArea) and not isinstance(w, QHeaderView):
            found += nested_scroll_problems(w)
    return found


def title_problems(dialog: QWidget) -> list[str]:
    """A window title wider than its window (the title bar elides it): the dialog must be wider.

    The title bar adds an icon and three buttons (~140 px) to the title's text."""
    need = dialog.fontMetrics().horizontalAdvance(dialog.windowTitle()) + 140
    if dialog.width() + SLACK < need:
        return [f"title {dialog.windowTitle()!r}: needs {need} px, window has {dialog.width()}"]
    return []
