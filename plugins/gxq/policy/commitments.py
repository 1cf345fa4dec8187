"""双承诺、双兑现: which unit answers for an enterprise commitment of a given kind (责任单位).

dept_policy.commitments has no unit column; the kind of the commitment decides. Kinds not listed
go to the 营商环境建设局 (U13), which owns the 双承诺 check.
"""

DEFAULT_UNIT = ("U13", "高新区营商环境建设局")

UNIT_BY_KIND: dict[str, tuple[str, str]] = {
    "投资": ("U14", "高新区科技和工业信息化局"),
    "固定资产投资": ("U14", "高新区科技和工业信息化局"),
    "产值": ("U14", "高新区科技和工业信息化局"),
    "营收": ("U14", "高新区科技和工业信息化局"),
    "营业收入": ("U14", "高新区科技和工业信息化局"),
    "研发投入": ("U14", "高新区科技和工业信息化局"),
    "就业": ("U04", "高新区人力资源和社会保障局"),
    "用工": ("U04", "高新区人力资源和社会保障局"),
    "人才": ("U04", "高新区人力资源和社会保障局"),
    "税收": ("U13", "高新区营商环境建设局"),
}


def responsible_unit(kind: str | None) -> tuple[str, str]:
    if not kind:
        return DEFAULT_UNIT
    kind = kind.strip()
    if kind in UNIT_BY_KIND:
        return UNIT_BY_KIND[kind]
    for key, unit in UNIT_BY_KIND.items():  # 固定资产投资承诺, 新增就业岗位 ...
        if key in kind:
            return unit
    return DEFAULT_UNIT
