"""A small classifier model over the test world's classes, for suggestion tests."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from onegrid.smart import classifier

# Labels are the test world's class codes: 暴露垃圾, 私搭乱建, 井盖缺失, 治安隐患 (police).
TEXTS = {
    "A0102": [
        "路边垃圾堆了好几天没人清运，臭气熏天",
        "小区门口垃圾桶满了溢出来，垃圾散落一地",
        "绿化带里有人乱倒生活垃圾",
        "菜市场后面垃圾成堆，苍蝇很多",
        "楼下垃圾没人收，夏天味道很大",
        "河边有一堆生活垃圾无人处理",
        "路口暴露垃圾，塑料袋到处飞",
        "垃圾清运不及时，垃圾堆在路边",
    ],
    "A0101": [
        "一楼住户私自搭建彩钢棚占用公共绿地",
        "楼顶有人违章搭建房屋",
        "小区里私搭乱建，院子里盖了一间房",
        "商铺门口违规搭建雨棚占道",
        "有人在公共区域私自加盖违建",
        "邻居在阳台外面违章扩建",
        "村里有人未批先建，私搭乱建严重",
        "小区空地被人违建成车库",
    ],
    "A0201": [
        "人行道上井盖丢了，很危险",
        "路中间的井盖破损塌陷",
        "雨水井盖缺失，晚上有人掉下去",
        "马路上的污水井盖松动，车过就响",
        "小区门口井盖不见了，留了一个大洞",
        "井盖碎了，路人容易踩空",
        "路口窨井盖缺失无人修",
        "检查井盖被偷，存在安全隐患",
    ],
    "E0101": [
        "有人深夜在小区里打架斗殴",
        "路口经常有人聚众赌博",
        "出租屋里有可疑人员进出，担心有治安问题",
        "有人在街上寻衅滋事",
        "夜里有人撬车偷东西",
        "网吧门口经常有人打架",
        "有人在小区兜售来路不明的东西",
        "晚上有陌生人翻墙进小区",
    ],
}


def train_world_model(path: Path) -> Path:
    """Train on TEXTS (eight texts of each world class) and save the model at `path`."""
    data = io.StringIO()
    writer = csv.writer(data)
    writer.writerow(["text", "class"])
    for code, texts in TEXTS.items():
        writer.writerows([t, code] for t in texts)
    dataset = classifier.read_csv(data.getvalue().encode(), text_cols=["text"], label_col="class")
    classifier.train(dataset).save(path)
    return path
