"""Synthetic labelled work orders in Chinese, for tests, benchmarks and the demo.

Deterministic for a seed. Each order has the wording a hotline clerk writes (an opener, a
place, what happened, what the caller wants), the hotline's own category name (which the
default keyword rules map to the true topic) and the true topic. Like real orders, about
half of the bodies use none of the taxonomy's keywords, a few mention a second topic in
passing, and a small share carry a wrong category (a clerk's slip).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

# topic -> (hotline category names, bodies). {p} place, {d} day, {n} a number.
BANK: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "integrity": (
        ("廉政监督", "收受红包举报"),
        (
            "办事时民警暗示要给好处费才能尽快办理",
            "辅警在检查时收了司机两条烟后放行",
            "反映某民警长期接受饭局宴请，为他人违规办事",
            "来电人称为了办证托人送了购物卡，事后仍未办成",
            "举报有人收钱帮忙把扣押车辆提前放出",
        ),
    ),
    "law_enforcement": (
        ("执法监督", "执法规范投诉"),
        (
            "民警盘查时不出示证件，还把来电人推搡到路边",
            "处理纠纷时民警偏袒一方，当众辱骂来电人",
            "传唤时没有出具任何手续，笔录内容与其所述不符",
            "现场处置时未开启记录设备，来电人质疑程序违法",
            "扣押物品没有开具清单，至今没有退还",
            "民警上门检查时强行进入住宅，未说明理由",
        ),
    ),
    "fraud": (
        ("电信网络诈骗", "诈骗求助"),
        (
            "在网上兼职做任务被骗走三万元，报案后希望追回损失",
            "接到自称客服的电话，按对方要求操作后银行卡被划走{n}元",
            "家中老人被推销保健品的人骗了养老钱",
            "网上投资理财平台无法提现，怀疑是骗局",
            "有人冒充领导加微信让其汇款，已损失{n}元",
        ),
    ),
    "household": (
        ("户政管理", "户口迁移", "身份证办理"),
        (
            "孩子出生后去办理上户口，被告知还要补开证明",
            "申请把户口从老家迁过来，材料齐全但迟迟没有审批",
            "身份证丢失后补办，已经一个月还没拿到新证",
            "夫妻投靠落户需要的材料前后说法不一致",
            "老人去世后注销手续办了三次都没办完",
            "集体户口的人员想迁出，单位和派出所相互推来推去",
            "更改姓名需要的手续太多，来回跑了好几次",
        ),
    ),
    "exit_entry": (
        ("出入境管理", "护照签注"),
        (
            "孩子出国留学急需办理护照，预约不上号",
            "港澳通行证续签签注时自助机一直无法识别",
            "外籍配偶的居留许可办理进度不明",
            "出国探亲需要的证件加急办理没有结果",
            "办理赴台证件被要求提供原单位证明",
        ),
    ),
    "traffic_violation": (
        ("交通违法处理", "违章罚款异议"),
        (
            "车辆在{p}附近被抓拍违停，当时是在临时停车上下客",
            "对一条闯红灯的记录有异议，当时信号灯故障",
            "收到处罚通知，扣了六分，认为标线不清楚",
            "手机上处理违法记录一直提示失败，无法缴纳罚款",
            "车辆被套牌，收到了外地的多条违法记录",
            "交警贴条时车辆其实在停车位内",
        ),
    ),
    "vehicle_license": (
        ("车驾管业务", "驾驶证业务", "机动车登记"),
        (
            "驾驶证到期换证，体检后一直不能提交",
            "新车办理上牌时被要求重新查验",
            "二手车过户手续来回折腾了三次",
            "预约考试总是约不上，已经等了两个月",
            "机动车检验标志申领时系统显示有未处理记录",
            "驾照考试的考场管理混乱，考官迟到",
        ),
    ),
    "ebike": (
        ("电动车管理", "非机动车登记"),
        (
            "电瓶车在小区楼下被偷，希望查看监控",
            "新买的电动自行车挂牌点排长队，一天只发几十个号",
            "骑车没戴头盔被罚，认为标准没有提前公示",
            "电动车登记要求的发票找不到了，无法上牌照",
        ),
    ),
    "traffic_order": (
        ("交通秩序", "道路拥堵"),
        (
            "{p}路口早晚高峰车辆排成长龙，希望有交警疏导",
            "学校门口接送孩子的车辆乱停，道路经常堵死",
            "路口的灯配时不合理，左转只有十几秒",
            "夜市摊位占用机动车道，车辆无法通行",
            "大货车白天在市区主干道行驶，存在安全隐患",
        ),
    ),
    "noise": (
        ("噪音扰民", "环境噪声"),
        (
            "楼下商铺每天晚上用大音响招揽顾客，影响休息",
            "小区附近工地深夜还在施工，多次反映无果",
            "公园里跳舞的音乐声太大，早上六点就开始",
            "邻居家经常半夜装修敲打，老人孩子睡不好",
            "烧烤店营业到凌晨，食客喧哗严重",
            "改装车辆夜间轰油门飙车，声音极大",
        ),
    ),
    "public_order": (
        ("治安管理", "治安案件"),
        (
            "小区车棚多次发生财物被盗，希望加强巡逻",
            "{p}附近有人聚众打牌赌钱，影响周边秩序",
            "饭店门口发生打架，民警处理后对方又来威胁",
            "商场里有人专门偷手机，已经有多人受害",
            "夜里有一伙人在街上滋事，砸坏了路边车辆",
        ),
    ),
    "response": (
        ("接处警", "110报警服务"),
        (
            "家中发生纠纷报警后四十分钟才有人到现场",
            "打了两次报警电话都说会派人，最后没人来",
            "民警到达后只是登记了一下就走了，没有处理",
            "夜间报警称有人撬门，接警员态度敷衍",
        ),
    ),
    "case_progress": (
        ("案件查询", "刑事案件办理"),
        (
            "去年报的盗窃案至今没有任何进展，希望告知",
            "报案时没给受案凭证，之后询问也没人答复",
            "被人打伤后报了案，对方至今未被处理",
            "损失的财物一直没有追缴，办案民警联系不上",
            "要求查阅本人案件的处理结果被拒绝",
        ),
    ),
    "dispute": (
        ("矛盾纠纷", "纠纷调解"),
        (
            "和邻居因为占用楼道发生争执，希望派出所协调",
            "工地老板拖欠工资半年，多次讨要没有结果",
            "借给朋友的钱到期不还，对方还出言威胁",
            "夫妻双方因抚养孩子问题吵闹，需要有人调处",
            "物业和业主因停车费起了冲突",
        ),
    ),
    "privacy": (
        ("个人信息保护", "信息泄露"),
        (
            "刚办完业务就接到大量推销电话，怀疑资料被外泄",
            "不明人员掌握了其住址和身份信息，频繁打电话骚扰",
            "网上出现了自己的身份证照片，要求删除",
            "快递单上的信息被人收集倒卖",
        ),
    ),
    "facilities": (
        ("办事环境", "窗口设施"),
        (
            "办证中心夏天没有开冷气，群众排队中暑",
            "等候区的椅子太少，老人只能站着",
            "派出所门口没有地方停车，只能停在路边被抄",
            "窗口的取号设备坏了好几天没人修",
            "办事处没有无障碍通道，轮椅进不去",
        ),
    ),
    "consultation": (
        ("政策咨询", "业务咨询"),
        (
            "想了解新生儿上户口需要带哪些材料",
            "派出所公布的值班电话一直没人接",
            "询问异地办理驾驶证的规定，工作人员说不清楚",
            "想知道网上办理的入口在哪里",
            "咨询暂住登记的办理条件",
        ),
    ),
    "efficiency": (
        ("办事效率", "服务效率"),
        (
            "窗口只开了一个，其余都空着，排了三个小时的队",
            "材料交上去半个月没有消息，一问再问",
            "同一件事让跑了四五趟，每次只说缺一样",
            "系统经常故障，一上午办不了一件事",
            "中午休息时间窗口全部关闭，上班族无法办理",
        ),
    ),
    "attitude": (
        ("服务态度", "工作作风"),
        (
            "窗口工作人员说话很冲，问两句就不理人",
            "民警对来电人大声呵斥，让其不要多事",
            "辅警边玩手机边办业务，问话也不回答",
            "接待的民警一直板着脸，嫌其问题多",
            "工作人员当着群众的面相互聊天，对老人不理睬",
        ),
    ),
    "praise": (
        ("表扬", "感谢信"),
        (
            "民警帮其找回了走失的老人，特地来电致谢",
            "窗口工作人员加班为其办完了证件，非常满意",
            "民警冒雨帮忙推车，希望单位给予表彰",
            "丢失的钱包被民警送了回来，里面东西一样不少",
            "办证时工作人员讲解细致，给他们点个赞",
        ),
    ),
}

OPENERS = ("市民来电反映：", "来电人称，", "群众反映，", "网民留言：", "来电人反映", "诉求人称")
PLACES = (
    "胜利路派出所",
    "新华街派出所",
    "桥东分局",
    "车管所",
    "出入境大厅",
    "钻石路口",
    "长青路",
    "市政务服务中心",
    "五一广场",
    "火车站附近",
)
DEMANDS = (
    "请求核实处理。",
    "希望尽快解决。",
    "要求给予答复。",
    "请相关部门调查。",
    "希望有关部门重视。",
    "",
)
DAYS = ("昨天", "前天", "上周", "本月初", "11月3日", "今天上午")
CHANNELS = ("12345", "12389", "12123", "sunshine")


@dataclass(frozen=True)
class SyntheticOrder:
    content: str
    category: str
    topic: str  # the true topic
    channel: str


def _fill(body: str, rng: random.Random) -> str:
    return body.format(p=rng.choice(PLACES), d=rng.choice(DAYS), n=rng.randrange(2, 90) * 1000)


def make_orders(n: int, seed: int = 19, *, wrong_category: float = 0.03) -> list[SyntheticOrder]:
    """`n` orders with topics drawn unevenly (as hotlines see them: many traffic and
    household matters, few integrity reports)."""
    rng = random.Random(seed)
    topics = sorted(BANK)
    weights = [1.0 + (hash_weight(t) % 7) for t in topics]
    out = []
    for _ in range(n):
        topic = rng.choices(topics, weights)[0]
        categories, bodies = BANK[topic]
        text = rng.choice(OPENERS) + rng.choice(DAYS) + "在" + rng.choice(PLACES) + "，"
        first, second = rng.sample(bodies, 2)
        text += _fill(first, rng)
        if rng.random() < 0.35:  # a second sentence on the same matter
            text += "，" + _fill(second, rng)
        if rng.random() < 0.12:  # a passing mention of something else
            other = rng.choice(topics)
            text += "，另外" + _fill(rng.choice(BANK[other][1]), rng)
        text += "，" + rng.choice(DEMANDS)
        category = rng.choice(categories)
        if rng.random() < wrong_category:
            category = rng.choice(BANK[rng.choice(topics)][0])
        out.append(SyntheticOrder(text, category, topic, rng.choice(CHANNELS)))
    return out


def hash_weight(topic: str) -> int:
    """A fixed, seed-independent weight per topic (not Python's salted hash)."""
    return sum(ord(c) for c in topic)
