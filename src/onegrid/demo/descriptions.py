"""What simulated reporters write: a short Chinese description of one problem, and the other
words a second reporter uses for the same problem.

A problem is a class, a landmark (3号楼东侧, 佳园里小区南门, 京津路与北仓道交口…), the thing
(垃圾袋, 井盖…) and its trouble (没人清运, 夜里不亮…). Two reporters of the same problem name
the same landmark and the same kind of thing in their own words: 三号楼东边 for 3号楼东侧, another
template, another trouble phrase, a hotline operator's "市民来电反映：" in front. A look-alike
(a hard negative) is the same class close by with a different landmark and thing. Every draw
comes from the `random.Random` passed in, so a plan stays reproducible from its seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

_DIGITS = "零一二三四五六七八九"
_SIDES = {
    "东侧": ("东侧", "东边", "东面"),
    "西侧": ("西侧", "西边", "西面"),
    "南侧": ("南侧", "南边", "南面"),
    "北侧": ("北侧", "北边", "北面"),
    "门口": ("门口", "门前", "大门口"),
    "楼下": ("楼下", "楼底下", "楼前"),
    "后面": ("后面", "后边", "后身"),
}
_GATES = {
    "南门": ("南门", "南大门", "南门口"),
    "北门": ("北门", "北大门", "北门口"),
    "东门": ("东门", "东大门", "东门口"),
    "西门": ("西门", "西大门", "西门口"),
}
_COMPOUNDS = (
    "佳园里", "华顺苑", "宜景园", "瑞景花园", "集贤里", "果园新村", "青源里", "辰昌家园",
    "龙岩里", "铁东公寓", "柳滩园", "嘉诚名邸", "荣华里", "环瑞家园", "丽水苑", "秋怡园",
    "富锦花园", "朗园", "双环新村", "普济雅居",
)  # fmt: skip
_PLACES = {
    "菜市场": ("菜市场", "农贸市场", "菜市"),
    "超市": ("超市", "华润万家超市", "大超市"),
    "幼儿园": ("幼儿园", "幼儿园门口那块", "幼儿园附近"),
    "小学": ("小学", "实验小学", "小学校"),
    "卫生服务中心": ("社区卫生服务中心", "卫生服务中心", "社区医院"),
    "公交站": ("公交站", "公交车站", "公交站台"),
    "地铁站": ("地铁站出口", "地铁口", "地铁站"),
    "银行": ("农业银行", "银行网点", "农行"),
    "快递驿站": ("快递驿站", "菜鸟驿站", "快递点"),
    "加油站": ("加油站", "中石化加油站", "加油站旁"),
    "公园": ("公园", "街心公园", "小公园"),
    "药店": ("药店", "大药房", "药房"),
}
_PLACE_SPOTS = ("门口", "旁边", "对面", "西侧", "东侧", "后面")
_ROADS = (
    "京津路", "北仓道", "辰昌路", "龙洲道", "津围公路", "普济河道", "引河里北道", "铁东路",
    "辰达路", "宜兴埠道", "北运河东路", "景顺路", "瑞益路", "佳荣里路", "集贤道", "龙门东道",
)  # fmt: skip


@dataclass(frozen=True)
class Landmark:
    kind: str  # building | gate | place | junction | number
    a: str  # compound, place, road
    b: str  # side, gate, spot, second road
    n: int = 0  # building or house number

    def say(self, rng: random.Random, plain: bool) -> str:
        """The landmark in words: `plain` is the first reporter's way of putting it."""
        if self.kind == "building":
            number = str(self.n) if plain or rng.random() < 0.5 else _chinese(self.n)
            building = "号楼" if plain or rng.random() < 0.6 else "栋"
            side = self.b if plain else rng.choice(_SIDES[self.b])
            compound = self.a if plain or rng.random() < 0.6 else ""
            return f"{compound}{number}{building}{side}"
        if self.kind == "gate":
            gate = self.b if plain else rng.choice(_GATES[self.b])
            compound = self.a if plain or rng.random() < 0.5 else self.a + "小区"
            return f"{compound}{gate}"
        if self.kind == "place":
            name = _PLACES[self.a][0] if plain else rng.choice(_PLACES[self.a])
            return f"{name}{self.b}"
        if self.kind == "junction":
            if plain:
                return f"{self.a}与{self.b}交口"
            return rng.choice(
                (f"{self.a}{self.b}路口", f"{self.b}和{self.a}交叉口", f"{self.a}与{self.b}交口")
            )
        house = f"{self.a}{self.n}号"
        return house + ("附近" if plain else rng.choice(("旁边", "附近", "那里", "")))


def _chinese(n: int) -> str:
    if n < 10:
        return _DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")


def landmark(rng: random.Random) -> Landmark:
    kind = rng.choices(("building", "gate", "place", "junction", "number"), (5, 2, 3, 2, 2))[0]
    if kind == "building":
        return Landmark(kind, rng.choice(_COMPOUNDS), rng.choice(list(_SIDES)), rng.randint(1, 28))
    if kind == "gate":
        return Landmark(kind, rng.choice(_COMPOUNDS), rng.choice(list(_GATES)))
    if kind == "place":
        return Landmark(kind, rng.choice(list(_PLACES)), rng.choice(_PLACE_SPOTS))
    if kind == "junction":
        first, second = rng.sample(_ROADS, 2)
        return Landmark(kind, first, second)
    return Landmark(kind, rng.choice(_ROADS), "", rng.randint(1, 300))


def nearby_landmark(rng: random.Random, near: Landmark) -> Landmark:
    """Another landmark a little way off: the next building, the other gate, another shop."""
    if near.kind == "building" and rng.random() < 0.6:
        n = near.n + rng.choice((-3, -2, -1, 1, 2, 3))
        side = rng.choice(list(_SIDES))
        return Landmark("building", near.a, side, max(1, n) if n != near.n else near.n + 4)
    if near.kind == "gate" and rng.random() < 0.6:
        return Landmark("gate", near.a, rng.choice([g for g in _GATES if g != near.b]))
    while True:
        other = landmark(rng)
        if other != near:
            return other


# Per class: the things reported and their troubles. Classes not listed speak through their
# catalogue name and filing criteria (`generic`).
_WORDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "A0101": (
        ("彩钢房", "违建小房", "私搭的棚子", "违章建筑", "自建围墙"),
        ("未经审批正在搭建", "占用了公共绿地", "私自加盖", "刚开始施工"),
    ),
    "A0102": (
        ("生活垃圾", "垃圾袋", "一大堆垃圾", "装修垃圾", "垃圾"),
        ("堆在路边没人清运", "味道很大招苍蝇", "好几天没人收", "堆成了小山", "溢出来了"),
    ),
    "A0103": (
        ("渣土", "建筑垃圾", "砖头瓦块", "渣土堆"),
        ("长期堆积无人清理", "堆了很久一直没运走", "越堆越多"),
    ),
    "A0104": (
        ("废纸", "塑料袋", "烟头和饮料瓶", "零星垃圾"),
        ("散落在路面上", "随风乱飞", "到处都是"),
    ),
    "A0105": (
        ("建材", "沙子水泥", "旧家具", "杂物", "木板钢管"),
        ("堆在人行道上", "占用了绿地", "挡住了路", "一直没人清走"),
    ),
    "A0107": (
        ("渣土", "泥浆", "砂石"),
        ("被渣土车撒了一路", "洒了一地", "路面全是泥", "车过去扬尘很大"),
    ),
    "A0201": (
        ("小广告", "办证小广告", "喷涂的电话号码", "野广告", "开锁广告"),
        ("贴满了墙面", "贴在电线杆上", "乱涂乱画", "刚清完又贴上了"),
    ),
    "A0202": (
        ("广告牌", "牌匾", "户外广告", "店招"),
        ("破损快掉下来了", "松动有坠落危险", "未经审批设置", "被风刮歪了"),
    ),
    "A0301": (
        ("工地", "施工队", "装修施工", "打桩机"),
        ("夜里还在施工噪音很大", "晚上十点后还在干活", "噪声扰民睡不着觉", "凌晨就开始施工"),
    ),
    "A0302": (
        ("工地", "土方", "裸露土堆"),
        ("没有苫盖尘土飞扬", "扬尘很大", "没洒水降尘", "刮风时灰很大"),
    ),
    "A0401": (
        ("路面", "下穿通道", "路口"),
        ("积水很深过不去", "雨后积水没排走", "积水没过脚踝"),
    ),
    "A0501": (
        ("流动摊贩", "卖水果的三轮车", "小商贩", "摆摊的"),
        ("占道经营", "堵住了人行道", "在路边摆摊", "每天傍晚都来"),
    ),
    "A0502": (
        ("饭店", "商户", "修车铺", "水果店", "五金店"),
        ("在店外摆桌子", "把货物摆到人行道上", "出店经营", "占了半条人行道"),
    ),
    "AC0101": (
        ("井盖", "雨水井盖", "污水井盖", "检查井盖"),
        ("丢了", "破损塌陷", "松动移位很危险", "裂了一半"),
    ),
    "AC0102": (
        ("路灯", "几盏路灯", "一排路灯", "灯杆上的灯"),
        ("晚上不亮", "坏了好几天", "一闪一闪的", "全黑了"),
    ),
    "AC0201": (
        ("路面", "人行道砖", "马路", "便道"),
        ("坑坑洼洼", "塌了一个大坑", "地砖松动翘起", "裂缝很大"),
    ),
    "B0101": (
        ("垃圾", "树叶", "秸秆", "废品"),
        ("有人在焚烧", "在烧烟很大", "露天焚烧呛人"),
    ),
    "B0102": (
        ("饭店", "烧烤店", "餐馆", "小吃店"),
        ("油烟很大", "油烟直冲居民楼", "油烟熏得开不了窗", "没装油烟净化器"),
    ),
    "C0103": (
        ("饭店后厨", "小吃店", "早点铺"),
        ("卫生很差", "有苍蝇老鼠", "生熟不分", "脏乱不堪"),
    ),
    "D0101": (
        ("消防通道", "安全出口", "消防车通道"),
        ("被车辆堵住了", "堆满了杂物", "被占用", "长期停车"),
    ),
    "D0102": (
        ("电动车", "电线", "插线板"),
        ("从楼上私拉电线充电", "飞线充电", "从窗户拉线充电", "电线垂到地上"),
    ),
    "D0103": (
        ("楼道", "楼梯间", "过道"),
        ("堆满杂物", "停放电动车", "放了很多纸箱", "堵住了一半"),
    ),
    "F0101": (
        ("邻居", "楼上住户", "隔壁"),
        ("噪音扰民", "家里漏水到楼下", "占用公共空间", "经常吵架"),
    ),
    "F0201": (
        ("物业", "物业公司"),
        ("不作为", "乱收费", "和业主有矛盾", "不给维修"),
    ),
    "F0401": (
        ("商家", "店铺", "健身房"),
        ("拒绝退款", "卖假货", "办卡后关门了"),
    ),
    "H0101": (
        ("自来水", "家里的水", "楼里的水"),
        ("停水了", "水压很低", "水发黄"),
    ),
    "H0102": (
        ("暖气", "家里暖气", "楼里暖气"),
        ("不热", "温度不达标", "只有十几度"),
    ),
    "H0201": (
        ("电梯", "单元电梯", "客梯"),
        ("坏了", "停运了", "运行有异响", "困过人"),
    ),
}
_TEMPLATES = (
    "{place}{thing}{trouble}",
    "{place}有{thing}，{trouble}",
    "发现{place}{thing}{trouble}，请尽快处理",
    "{thing}{trouble}，位置在{place}",
    "{place}附近{thing}{trouble}",
)
# For a class without words of its own: its catalogue name, then one of these.
_GENERIC_TROUBLES = ("", "，请核实处理", "，情况比较严重", "，需要尽快处理", "，已持续一段时间")
_HOTLINE = ("市民来电反映：", "来电人称：", "群众来电：", "市民反映")
_RESIDENT_ENDINGS = ("", "", "，希望尽快解决", "，影响出行", "，已经好几天了", "，麻烦管一管")


@dataclass(frozen=True)
class Problem:
    """One problem on the ground that reports describe."""

    class_code: str
    place: Landmark
    thing: int
    trouble: int


def new_problem(rng: random.Random, class_code: str, place: Landmark | None = None) -> Problem:
    things, troubles = _WORDS.get(class_code, (("",), _GENERIC_TROUBLES))
    return Problem(
        class_code,
        place or landmark(rng),
        rng.randrange(len(things)) if things else 0,
        rng.randrange(len(troubles)) if troubles else 0,
    )


def describe(
    rng: random.Random,
    problem: Problem,
    *,
    source: str,
    name: str,
    first: bool = True,
) -> str:
    """A description of `problem` by a reporter from `source`; `first`: the first report of it
    (later ones say the same in other words). `name`: the class's name, which stands for the
    thing reported when the class has no words of its own here."""
    things, troubles = _WORDS.get(problem.class_code, ((name,), _GENERIC_TROUBLES))
    thing = things[problem.thing % len(things)]
    trouble = troubles[problem.trouble % len(troubles)]
    if not first:
        if rng.random() < 0.4:
            thing = rng.choice(things)
        if rng.random() < 0.6:
            trouble = rng.choice(troubles)
    template = _TEMPLATES[0] if first and rng.random() < 0.3 else rng.choice(_TEMPLATES)
    text = template.format(place=problem.place.say(rng, first), thing=thing, trouble=trouble)
    if source == "hotline":
        return rng.choice(_HOTLINE) + text
    if source == "resident":
        return text + rng.choice(_RESIDENT_ENDINGS)
    return text
