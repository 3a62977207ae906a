"""An address printed once: the places a child's file names (township, village, group)
and the stored address, which often names them already (registers write
"华阳镇红星村3组张家湾12号" in the address column)."""

from __future__ import annotations

from collections.abc import Sequence


def address_once(places: Sequence[str], address: str) -> str:
    """``places`` (outermost first: township, village, group) joined with ``address``,
    each place written once: a place the address already names is not added again; a
    missing place goes before the address, or after the innermost place it names.

    >>> address_once(["华阳镇", "红星村", "3组"], "张家湾12号")
    '华阳镇红星村3组张家湾12号'
    >>> address_once(["华阳镇", "红星村", "3组"], "红星村3组张家湾12号")
    '华阳镇红星村3组张家湾12号'
    >>> address_once(["华阳镇", "红星村", "3组"], "华阳镇红星村张家湾")
    '华阳镇红星村3组张家湾'
    """
    address = address.strip()
    named = [i for i, place in enumerate(places) if place and place in address]
    if not named:
        return "".join(p for p in places if p) + address
    deepest = max(named)
    before = "".join(p for i, p in enumerate(places[:deepest]) if p and i not in named)
    after = "".join(p for p in places[deepest + 1 :] if p)
    end = address.index(places[deepest]) + len(places[deepest])
    return before + address[:end] + after + address[end:]
