"""The demo: two restaurants with their menus, tables and one login per role, loaded by
``demo_load`` (which ``make run`` runs) and never twice.

- 蜀香小馆 / Shu Xiang Bistro (``shuxiang``, CNY): the Sichuan/Cantonese menu, twelve tables.
- 点心茶楼 / Dim Sum House (``dimsum``, HKD, pages in English by default): a small dim sum
  menu, eight tables.

Prices are in minor units (fen, cents): 2800 = ¥28.00 at one, HK$28.00 at the other. Images
are static paths (the page prefixes ``/static/``); the illustrations live in
``restaurant/static/dishes/``.

A database from before restaurants had one restaurant, which the migration named ``main``:
when it is the old demo (its name is the demo's), ``demo_load`` renames it ``shuxiang`` and
adds the second. Its tables keep their tokens, so links and QR codes printed before still
work, and its meals and orders stay. A database with a restaurant of its own (neither the
demo's nor that old one) is left alone.
"""

import json
import secrets
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import msgspec
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from restaurant.billing.models import ClosedCheck, Payment
from restaurant.billing.selectors import check_of, share_due
from restaurant.billing.services import (
    discount_add,
    item_owners_set,
    meal_close,
    payment_record,
    payment_refund,
)
from restaurant.dining import protocol as diner_protocol
from restaurant.dining.models import Diner, DiningSession
from restaurant.dining.ops import diner_op_apply
from restaurant.dining.services import diner_arrive, session_lock, session_open
from restaurant.kitchen.adjustments import item_adjust
from restaurant.kitchen.models import AdjustReason, Order, OrderItem
from restaurant.kitchen.services import order_status_set
from restaurant.menu.models import Category, Dish, Option, OptionGroup, Tag
from restaurant.menu.signals import menu_version_bump
from restaurant.menu.stock import dish_set_stock
from restaurant.tables.models import Table
from restaurant.tables.services import tables_add
from restaurant.venues.models import Restaurant, StaffMember, Station
from restaurant.venues.services import restaurant_create, staff_member_create

# An option group: (name, name_en, min_choices, max_choices, [(name, name_en, price), ...]).
SPICE = (
    "辣度",
    "Spice level",
    1,
    1,
    [
        ("不辣", "Not spicy", 0),
        ("微辣", "Mild", 0),
        ("中辣", "Medium", 0),
        ("特辣", "Extra hot", 0),
    ],
)
ICE = ("冰量", "Ice", 0, 1, [("冰", "Ice", 0), ("少冰", "Less ice", 0), ("去冰", "No ice", 0)])
SUGAR = (
    "甜度",
    "Sweetness",
    0,
    1,
    [("正常糖", "Regular", 0), ("少糖", "Less sugar", 0), ("无糖", "No sugar", 0)],
)

ADD_ONS = {
    "egg": ("加蛋", "Extra egg", 200),
    "meat": ("加肉", "Extra meat", 800),
    "tofu": ("加豆腐", "Extra tofu", 300),
    "greens": ("加青菜", "Extra greens", 300),
    "peanuts": ("加花生", "Extra peanuts", 300),
    "beef": ("加牛肉", "Extra beef", 1000),
    "shrimp": ("加虾仁", "Extra shrimp", 1200),
}


def size(large_extra: int) -> tuple:
    return ("份量", "Size", 1, 1, [("小份", "Small", 0), ("大份", "Large", large_extra)])


def add_ons(*keys: str) -> tuple:
    return ("加料", "Add-ons", 0, min(3, len(keys)), [ADD_ONS[key] for key in keys])


def dish(
    name: str,
    name_en: str,
    price: int,
    image: str,
    description: str,
    description_en: str,
    *groups: tuple,
    sold_out: bool = False,
) -> dict:
    return {
        "name": name,
        "name_en": name_en,
        "price": price,
        "image": f"dishes/{image}.svg",
        "description": description,
        "description_en": description_en,
        "groups": list(groups),
        "sold_out": sold_out,
    }


MENU = [
    {
        "name": "招牌热菜",
        "name_en": "Signature dishes",
        "dishes": [
            dish(
                "宫保鸡丁",
                "Kung Pao Chicken",
                4200,
                "kung-pao-chicken",
                "鸡腿肉丁配花生与干辣椒，糊辣荔枝味，微甜微麻。",
                "Diced chicken thigh wok-tossed with peanuts and dried chillies; sweet and tingly.",
                SPICE,
                add_ons("peanuts", "meat"),
            ),
            dish(
                "水煮鱼",
                "Sichuan Boiled Fish",
                8800,
                "boiled-fish",
                "鲜嫩黑鱼片浸在红亮麻辣汤中，垫豆芽，淋热油激香。",
                "Tender snakehead fish slices in a fiery chilli broth over bean sprouts, "
                "finished with sizzling oil.",
                SPICE,
                size(3000),
            ),
            dish(
                "麻婆豆腐",
                "Mapo Tofu",
                2800,
                "mapo-tofu",
                "嫩豆腐配牛肉末与郫县豆瓣，麻辣鲜香烫，下饭神器。",
                "Silken tofu with minced beef and Pixian bean paste: numbing, spicy, fragrant.",
                SPICE,
                add_ons("meat", "tofu"),
            ),
            dish(
                "回锅肉",
                "Twice-Cooked Pork",
                4600,
                "twice-cooked-pork",
                "先煮后炒的五花肉片，配蒜苗与豆豉，肥而不腻。",
                "Pork belly boiled, then stir-fried with garlic shoots and black beans.",
                SPICE,
            ),
            dish(
                "毛血旺",
                "Mao Xue Wang",
                6800,
                "mao-xue-wang",
                "鸭血、毛肚、午餐肉与豆芽同煮，重庆江湖麻辣味。",
                "Chongqing classic: duck blood, tripe and luncheon meat in a numbing red broth.",
                SPICE,
                sold_out=True,
            ),
            dish(
                "蜜汁叉烧",
                "Honey-Glazed Char Siu",
                5800,
                "char-siu",
                "梅头肉慢火明炉烧制，刷蜜汁，外焦里嫩。",
                "Pork shoulder roasted over open flame and glazed with honey; charred and juicy.",
                size(2600),
            ),
            dish(
                "白切鸡",
                "White Cut Chicken",
                4800,
                "white-cut-chicken",
                "清远走地鸡浸熟，皮爽肉滑，配姜葱蓉蘸酱。",
                "Free-range chicken gently poached, silky skin, with a ginger and scallion dip.",
                size(3800),
            ),
        ],
    },
    {
        "name": "凉菜",
        "name_en": "Cold dishes",
        "dishes": [
            dish(
                "口水鸡",
                "Mouth-Watering Chicken",
                3800,
                "mouth-watering-chicken",
                "冰镇嫩鸡淋红油、花椒与芝麻，麻辣鲜香。",
                "Chilled poached chicken drenched in chilli oil, Sichuan pepper and sesame.",
                SPICE,
            ),
            dish(
                "夫妻肺片",
                "Fuqi Feipian",
                3600,
                "fuqi-feipian",
                "牛肉与牛杂薄片拌红油、花生碎，成都老味道。",
                "Thin slices of beef and tripe in chilli oil with crushed peanuts, Chengdu style.",
                SPICE,
            ),
            dish(
                "拍黄瓜",
                "Smashed Cucumber",
                1600,
                "smashed-cucumber",
                "拍碎的黄瓜拌蒜泥与香醋，清脆爽口。",
                "Smashed cucumber with garlic and black vinegar; crisp and refreshing.",
            ),
            dish(
                "皮蛋豆腐",
                "Century Egg Tofu",
                1800,
                "century-egg-tofu",
                "内酯豆腐配松花皮蛋，淋酱油与香油，撒葱花。",
                "Chilled silken tofu with century egg, soy sauce, sesame oil and scallions.",
            ),
            dish(
                "红油耳丝",
                "Pig Ear in Chilli Oil",
                2600,
                "pig-ear",
                "卤猪耳切丝拌红油，软糯中带脆骨嚼劲。",
                "Braised pig ear, finely sliced and tossed in chilli oil; tender with a crunch.",
            ),
        ],
    },
    {
        "name": "小炒",
        "name_en": "Stir-fries",
        "dishes": [
            dish(
                "鱼香肉丝",
                "Yu Xiang Shredded Pork",
                3600,
                "yu-xiang-pork",
                "猪肉丝配木耳、笋丝，泡椒鱼香汁，酸甜微辣。",
                "Shredded pork, wood ear and bamboo shoots in a sweet-sour pickled-chilli sauce.",
                SPICE,
                add_ons("meat", "egg"),
            ),
            dish(
                "干煸四季豆",
                "Dry-Fried Green Beans",
                2800,
                "dry-fried-beans",
                "四季豆煸至起皱，配肉末与芽菜，干香入味。",
                "Green beans fried until blistered, with minced pork and preserved mustard greens.",
                SPICE,
            ),
            dish(
                "蚝油生菜",
                "Lettuce in Oyster Sauce",
                2200,
                "oyster-lettuce",
                "生菜快灼，淋蚝油蒜蓉汁，清甜爽脆。",
                "Blanched lettuce with oyster sauce and garlic; sweet and crisp.",
            ),
            dish(
                "番茄炒蛋",
                "Tomato and Egg Stir-Fry",
                2400,
                "tomato-egg",
                "嫩滑炒蛋与酸甜番茄，家常好味道。",
                "Fluffy scrambled eggs with sweet-sour tomatoes; home cooking at its best.",
                add_ons("egg"),
            ),
            dish(
                "手撕包菜",
                "Hand-Torn Cabbage",
                2200,
                "torn-cabbage",
                "手撕包菜猛火爆炒，干辣椒与香醋提味。",
                "Hand-torn cabbage flash-fried over high heat with dried chillies and vinegar.",
            ),
            dish(
                "酸辣土豆丝",
                "Hot and Sour Potato Shreds",
                1800,
                "potato-shreds",
                "土豆切细丝快炒，酸辣脆爽。",
                "Finely shredded potato stir-fried until just crisp, with vinegar and chilli.",
            ),
        ],
    },
    {
        "name": "汤羹",
        "name_en": "Soups",
        "dishes": [
            dish(
                "酸辣汤",
                "Hot and Sour Soup",
                2200,
                "hot-sour-soup",
                "豆腐、木耳、笋丝与蛋花，胡椒与香醋调味。",
                "Tofu, wood ear, bamboo and egg ribbons, sharp with white pepper and vinegar.",
                size(1200),
            ),
            dish(
                "老火靓汤",
                "Cantonese Slow-Cooked Soup",
                3200,
                "slow-cooked-soup",
                "每日例汤，猪骨与时令药材慢火煲足四小时。",
                "Soup of the day: pork bones and seasonal herbs simmered for four hours.",
                size(1800),
                sold_out=True,
            ),
            dish(
                "番茄蛋花汤",
                "Tomato Egg Drop Soup",
                1800,
                "tomato-egg-soup",
                "番茄熬出沙，蛋花轻盈，酸甜开胃。",
                "Tomatoes cooked down with wisps of egg; light, sweet and tangy.",
            ),
            dish(
                "西湖牛肉羹",
                "West Lake Beef Soup",
                2800,
                "west-lake-beef-soup",
                "牛肉末、蛋白与香菜，口感顺滑。",
                "A silky broth of minced beef, egg white and coriander.",
            ),
        ],
    },
    {
        "name": "主食",
        "name_en": "Staples",
        "dishes": [
            dish(
                "担担面",
                "Dan Dan Noodles",
                2200,
                "dan-dan-noodles",
                "细面配肉臊、芽菜与花生碎，拌匀红油芝麻酱。",
                "Thin noodles, crispy pork, preserved greens and peanuts in chilli-sesame sauce.",
                SPICE,
                add_ons("egg", "meat", "greens"),
            ),
            dish(
                "红油抄手",
                "Wontons in Chilli Oil",
                2000,
                "chilli-oil-wontons",
                "皮薄馅嫩的猪肉抄手，淋红油与甜酱油。",
                "Delicate pork wontons in chilli oil and sweet soy sauce.",
                SPICE,
                size(800),
            ),
            dish(
                "干炒牛河",
                "Beef Chow Fun",
                3800,
                "beef-chow-fun",
                "宽河粉与牛肉片猛火干炒，镬气十足。",
                "Wide rice noodles and beef slices seared in a roaring wok, smoky with wok hei.",
                add_ons("beef", "egg", "greens"),
            ),
            dish(
                "扬州炒饭",
                "Yangzhou Fried Rice",
                2800,
                "yangzhou-fried-rice",
                "粒粒分明的蛋炒饭，配虾仁、叉烧与青豆。",
                "Egg fried rice, every grain separate, with shrimp, char siu and peas.",
                size(1000),
                add_ons("egg", "shrimp"),
            ),
            dish(
                "白米饭",
                "Steamed Rice",
                300,
                "steamed-rice",
                "东北珍珠米现蒸，软糯香甜。",
                "Freshly steamed short-grain rice.",
            ),
        ],
    },
    {
        "name": "点心",
        "name_en": "Dim sum",
        "dishes": [
            dish(
                "水晶虾饺",
                "Har Gow",
                3200,
                "har-gow",
                "晶莹澄面皮包整只鲜虾，一笼四只。",
                "Translucent dumplings filled with whole fresh shrimp, four per basket.",
            ),
            dish(
                "蟹籽烧卖",
                "Siu Mai",
                2800,
                "siu-mai",
                "猪肉虾仁烧卖，顶缀蟹籽，一笼四只。",
                "Open-topped pork and shrimp dumplings crowned with crab roe, four per basket.",
            ),
            dish(
                "叉烧包",
                "Char Siu Bao",
                2400,
                "char-siu-bao",
                "松软包子裂口露出蜜汁叉烧馅，一笼三只。",
                "Fluffy steamed buns bursting with honey-glazed pork, three per basket.",
            ),
            dish(
                "流沙包",
                "Salted Egg Custard Buns",
                2600,
                "custard-buns",
                "咸蛋黄奶黄馅，一口爆浆，一笼三只。",
                "Buns with a molten salted-egg-yolk custard, three per basket.",
                sold_out=True,
            ),
            dish(
                "鲜虾肠粉",
                "Shrimp Rice Noodle Rolls",
                2600,
                "cheung-fun",
                "嫩滑米浆卷裹鲜虾，淋豉油。",
                "Silky steamed rice rolls wrapped around shrimp, with sweet soy sauce.",
            ),
            dish(
                "葡式蛋挞",
                "Portuguese Egg Tarts",
                2200,
                "egg-tarts",
                "酥皮焦糖蛋挞，现烤出炉，一份三只。",
                "Flaky tarts with caramelised custard, fresh from the oven, three per serving.",
            ),
        ],
    },
    {
        "name": "饮品",
        "name_en": "Drinks",
        "dishes": [
            dish(
                "酸梅汤",
                "Sour Plum Drink",
                1200,
                "sour-plum-drink",
                "乌梅、山楂与桂花熬制，冰凉解辣。",
                "Smoked plum, hawthorn and osmanthus, brewed and chilled: the perfect cooler.",
                ICE,
                SUGAR,
            ),
            dish(
                "港式奶茶",
                "Hong Kong Milk Tea",
                1800,
                "milk-tea",
                "丝袜拉茶配淡奶，茶香浓郁顺滑。",
                "Strong black tea pulled through a silk sock, with evaporated milk.",
                ICE,
                SUGAR,
            ),
            dish(
                "冻柠檬茶",
                "Iced Lemon Tea",
                1600,
                "lemon-tea",
                "红茶配新鲜柠檬片，清爽解腻。",
                "Black tea with fresh lemon slices; crisp and refreshing.",
                ICE,
                SUGAR,
            ),
            dish(
                "王老吉",
                "Wong Lo Kat Herbal Tea",
                800,
                "herbal-tea",
                "凉茶饮料，降火良伴。",
                "Cantonese herbal tea drink, a cooling companion to spicy food.",
                ICE,
            ),
            dish(
                "菊花茶",
                "Chrysanthemum Tea",
                2000,
                "chrysanthemum-tea",
                "杭白菊与冰糖冲泡，一壶可续水。",
                "A pot of Hangzhou chrysanthemum with rock sugar; refills welcome.",
                SUGAR,
            ),
            dish(
                "青岛啤酒",
                "Tsingtao Beer",
                1500,
                "tsingtao-beer",
                "冰镇青岛啤酒，640毫升。",
                "Ice-cold Tsingtao lager, 640 ml bottle.",
            ),
        ],
    },
]

TABLES = [(n, f"{n}号桌") for n in range(1, 11)] + [(11, "包间A"), (12, "包间B")]

DIM_SUM_MENU = [
    {
        "name": "点心",
        "name_en": "Dim sum",
        "dishes": [
            dish(
                "水晶虾饺",
                "Har Gow",
                4200,
                "har-gow",
                "澄面皮包整只鲜虾，一笼四只。",
                "Translucent dumplings with whole fresh shrimp, four per basket.",
            ),
            dish(
                "蟹籽烧卖",
                "Siu Mai",
                3800,
                "siu-mai",
                "猪肉虾仁烧卖，顶缀蟹籽，一笼四只。",
                "Pork and shrimp dumplings crowned with crab roe, four per basket.",
            ),
            dish(
                "蜜汁叉烧包",
                "Char Siu Bao",
                3200,
                "char-siu-bao",
                "松软包子裹蜜汁叉烧，一笼三只。",
                "Fluffy steamed buns filled with honey-glazed pork, three per basket.",
            ),
            dish(
                "流沙包",
                "Salted Egg Custard Buns",
                3400,
                "custard-buns",
                "咸蛋黄奶黄馅，一口爆浆，一笼三只。",
                "Buns with a molten salted-egg-yolk custard, three per basket.",
            ),
            dish(
                "鲜虾肠粉",
                "Shrimp Rice Noodle Rolls",
                3600,
                "cheung-fun",
                "即拉米浆卷裹鲜虾，淋豉油。",
                "Silky rice rolls steamed to order around shrimp, with sweet soy sauce.",
                add_ons("shrimp"),
            ),
            dish(
                "酥皮蛋挞",
                "Egg Tarts",
                2800,
                "egg-tarts",
                "酥皮蛋挞，现烤出炉，一份三只。",
                "Flaky custard tarts fresh from the oven, three per serving.",
                sold_out=True,
            ),
        ],
    },
    {
        "name": "烧味饭面",
        "name_en": "Roast meats, rice and noodles",
        "dishes": [
            dish(
                "蜜汁叉烧",
                "Honey-Glazed Char Siu",
                9800,
                "char-siu",
                "明炉烧制梅头肉，刷蜜汁。",
                "Pork shoulder roasted over an open flame, glazed with honey.",
                size(4000),
            ),
            dish(
                "干炒牛河",
                "Beef Chow Fun",
                7800,
                "beef-chow-fun",
                "宽河粉与牛肉片猛火干炒，镬气十足。",
                "Wide rice noodles and beef seared in a roaring wok.",
                add_ons("beef", "egg"),
            ),
            dish(
                "扬州炒饭",
                "Yangzhou Fried Rice",
                6800,
                "yangzhou-fried-rice",
                "蛋炒饭配虾仁、叉烧与青豆。",
                "Egg fried rice with shrimp, char siu and peas.",
            ),
        ],
    },
    {
        "name": "茶饮",
        "name_en": "Tea and drinks",
        "dishes": [
            dish(
                "菊花普洱",
                "Chrysanthemum Pu-erh",
                1800,
                "chrysanthemum-tea",
                "每位茶位，一壶可续水。",
                "Tea per guest: a pot of pu-erh with chrysanthemum; refills welcome.",
            ),
            dish(
                "港式奶茶",
                "Hong Kong Milk Tea",
                2600,
                "milk-tea",
                "丝袜拉茶配淡奶。",
                "Strong black tea pulled through a silk sock, with evaporated milk.",
                ICE,
                SUGAR,
            ),
            dish(
                "冻柠檬茶",
                "Iced Lemon Tea",
                2600,
                "lemon-tea",
                "红茶配鲜柠檬片。",
                "Black tea with fresh lemon slices.",
                ICE,
                SUGAR,
            ),
        ],
    },
]


@dataclass(frozen=True)
class DemoRestaurant:
    slug: str
    name: str
    name_en: str
    currency: str
    language: str
    menu: list
    tables: list  # [(number, label)], numbered 1..N
    stations: list = ()  # SHUXIANG_STATIONS' shape
    # The till's settings (Restaurant fields; receipt_station by station code).
    till: dict = field(default_factory=dict)
    evening: bool = False  # an evening at the till to settle and report (`_evening_load`)


DIM_SUM_TABLES = [(n, f"{n}号台") for n in range(1, 9)]

# (code, name, name_en, target minutes, the categories it makes): a kitchen's usual split.
SHUXIANG_STATIONS = [
    ("hot", "热菜", "Hot wok", 15, ["招牌热菜", "小炒", "汤羹", "主食"]),
    ("cold", "凉菜", "Cold dishes", 8, ["凉菜"]),
    ("dimsum", "点心", "Dim sum", 12, ["点心"]),
    ("bar", "酒水", "Bar", 5, ["饮品"]),
]
DIM_SUM_STATIONS = [
    ("dimsum", "点心", "Dim sum", 12, ["点心"]),
    ("roast", "烧味", "Roast & noodles", 15, ["烧味饭面"]),
    ("bar", "茶水", "Tea & drinks", 5, ["茶饮"]),
]

DEMO = [
    DemoRestaurant(
        "shuxiang",
        "蜀香小馆",
        "Shu Xiang Bistro",
        "CNY",
        "zh-hans",
        MENU,
        TABLES,
        SHUXIANG_STATIONS,
        # ¥2 a guest for tea and tableware (茶位费), no service charge, the fen dropped (抹分);
        # receipts print at the bar, where the cashier stands.
        till={
            "cover_charge": 200,
            "service_percent": Decimal(0),
            "rounding": "jiao",
            "receipt_station": "bar",
        },
        evening=True,
    ),
    DemoRestaurant(
        "dimsum",
        "点心茶楼",
        "Dim Sum House",
        "HKD",
        "en",
        DIM_SUM_MENU,
        DIM_SUM_TABLES,
        DIM_SUM_STATIONS,
        # Hong Kong's 10% service charge (加一), no rounding; receipts at the tea bar.
        till={"service_percent": Decimal(10), "receipt_station": "bar"},
    ),
]
DEMO_SLUGS = [demo.slug for demo in DEMO]
# 限量: the demo's counted dishes, by restaurant: (portions left today, what each day starts
# with). The roast goes on the open fire once in the afternoon.
COUNTED = {"shuxiang": {"蜜汁叉烧": (8, 20)}, "dimsum": {"蜜汁叉烧": (6, 15)}}
# 套餐: set meals, by restaurant: (name, name_en, price, picture, description, description_en,
# groups); a group is (name,
# name_en, how many to pick, [(dish name, supplement)]). Each pick is a dish of the menu, made
# at its own station (restaurant/kitchen/sets.py). The set's spice level goes on every part.
SETS = {
    "shuxiang": [
        ("双人套餐", "Set for two", 12800, "kung-pao-chicken",
         "两人份：任选两道热菜、一道凉菜、一份汤，配米饭。",
         "For two: any two hot dishes, a cold dish and a soup, with rice.", [
            ("热菜两选", "Two hot dishes", 2,
             [("宫保鸡丁", 0), ("麻婆豆腐", 0), ("回锅肉", 0), ("鱼香肉丝", 0)]),
            ("凉菜一选", "One cold dish", 1, [("拍黄瓜", 0), ("皮蛋豆腐", 0), ("口水鸡", 1000)]),
            ("汤", "Soup", 1, [("番茄蛋花汤", 0), ("酸辣汤", 0)]),
            ("米饭", "Rice", 1, [("白米饭", 0)]),
        ]),
    ],
}  # fmt: skip
# What the migration named the one restaurant of a database from before restaurants.
OLD_SLUG = "main"


def demo_load(*, only: str | None = None, evening: bool | None = None) -> list[Restaurant]:
    """Load the demo restaurants that are missing (only ``only``, a demo slug, when given):
    each with its menu and tables. Returns those it loaded: none when all are there, or when
    the database has a restaurant of its own (then it adds nothing).

    ``evening`` (by default with the whole demo, what ``make run`` loads; not with ``only``,
    the clean one-restaurant deployment the browser and multi-process tests run on): the
    till's settings, and at 蜀香小馆 an evening to settle and report (`_evening_load`), once,
    at a demo restaurant that has never used the till."""
    demos = [demo for demo in DEMO if only in (None, demo.slug)]
    if not demos:
        raise ValueError(f"no demo restaurant {only!r}; there are {', '.join(DEMO_SLUGS)}")
    evening = only is None if evening is None else evening
    loaded = []
    with transaction.atomic():
        _adopt_old_demo()
        if Restaurant.objects.exclude(slug__in=DEMO_SLUGS).exists():
            return []
        for demo in demos:
            restaurant = Restaurant.objects.filter(slug=demo.slug).first()
            if restaurant is None:
                restaurant = restaurant_create(
                    name=demo.name, name_en=demo.name_en, slug=demo.slug,
                    currency=demo.currency, language=demo.language,
                )  # fmt: skip
            elif restaurant.categories.exists() or restaurant.tables.exists():
                # Loaded before (or the old demo, adopted): left as it is, but for the
                # stations a demo from before stations lacks, and the till's evening.
                _stations_load(restaurant, demo.stations)
                _adjust_reasons_load(restaurant)
                _tags_load(restaurant)
                _packing_load(restaurant)
                if evening:
                    _till_load(restaurant, demo, fresh=False)
                continue
            _menu_load(restaurant, demo.menu)
            _counts_load(restaurant, COUNTED.get(demo.slug, {}))
            _sets_load(restaurant, SETS.get(demo.slug, []))
            _stations_load(restaurant, demo.stations)
            _adjust_reasons_load(restaurant)
            _tags_load(restaurant)
            _packing_load(restaurant)
            for table in tables_add(restaurant=restaurant, count=len(demo.tables)):
                table.label = dict(demo.tables)[table.number]
                table.save(update_fields=["label"])
            if evening:
                _till_load(restaurant, demo, fresh=True)
            loaded.append(restaurant)
    # No menu_version bump is needed for the options made in bulk (without signals): the
    # dishes and groups saved in this same transaction bumped it.
    return loaded


def _adopt_old_demo() -> None:
    """A database from before restaurants: its one restaurant (``main``, by the migration)
    becomes ``shuxiang`` if it is the old demo, or had no menu yet (the old ``serve
    --no-demo``). Its tables' tokens stay, and with them every printed link."""
    first = DEMO[0]
    if Restaurant.objects.filter(slug__in=DEMO_SLUGS).exists():
        return
    old = list(Restaurant.objects.all()[:2])
    if len(old) != 1 or old[0].slug != OLD_SLUG:
        return
    restaurant = old[0]
    if restaurant.name != first.name and restaurant.categories.exists():
        return  # someone's own restaurant
    restaurant.slug = first.slug
    if not restaurant.categories.exists():
        restaurant.name, restaurant.name_en = first.name, first.name_en
        restaurant.currency, restaurant.language = first.currency, first.language
    restaurant.save()


def _stations_load(restaurant: Restaurant, stations) -> None:
    """The demo's stations, each making its categories (by name); none if it has any."""
    if restaurant.stations.exists():
        return
    for position, (code, name, name_en, minutes, categories) in enumerate(stations, start=1):
        station = Station.objects.create(
            restaurant=restaurant, code=code, name=name, name_en=name_en,
            target_minutes=minutes, sort_order=position * 10,
        )  # fmt: skip
        restaurant.categories.filter(name__in=categories).update(station=station)


# Why staff take a dish back (退菜) or give it free (赠菜): (name, name_en, for_void, for_comp).
ADJUST_REASONS = [
    ("上错菜", "Wrong dish", True, False),
    ("太久没上", "Took too long", True, False),
    ("口味问题", "Taste", True, False),
    ("客人取消", "Guest cancelled", True, False),
    ("老顾客", "Regular", False, True),
    ("菜品问题致歉", "Apology", False, True),
]


def _adjust_reasons_load(restaurant: Restaurant) -> None:
    """The demo's reasons to take a dish back or give it free; none if it has any."""
    if AdjustReason.objects.filter(restaurant=restaurant).exists():
        return
    AdjustReason.objects.bulk_create(
        AdjustReason(restaurant=restaurant, name=name, name_en=name_en, for_void=void,
                     for_comp=comp, sort_order=position * 10)
        for position, (name, name_en, void, comp) in enumerate(ADJUST_REASONS, start=1)
    )  # fmt: skip


# Tags and spice levels: each restaurant's own list, in its order (key: name, name_en, icon).
TAGS = {
    "veg": ("素", "Vegetarian", "🥬"),
    "nuts": ("含坚果", "Contains nuts", "🥜"),
    "seafood": ("海鲜", "Seafood", "🦐"),
    "gluten": ("含麸质", "Contains gluten", "🌾"),
}
# Each demo restaurant's dishes, by name: (spice level, 1 mild to 3 hot, then tag keys). A
# restaurant lists the tags its dishes use. Drinks are left untagged: "vegetarian" on a tea
# says nothing.
DISH_MARKS = {
    "shuxiang": {
        "宫保鸡丁": (2, "nuts"),
        "水煮鱼": (3,),
        "麻婆豆腐": (3,),
        "回锅肉": (2,),
        "毛血旺": (3,),
        "口水鸡": (2,),
        "夫妻肺片": (2, "nuts"),
        "拍黄瓜": (0, "veg"),
        "皮蛋豆腐": (0, "veg"),
        "红油耳丝": (2,),
        "鱼香肉丝": (1,),
        "干煸四季豆": (1,),
        "番茄炒蛋": (0, "veg"),
        "手撕包菜": (1, "veg"),
        "酸辣土豆丝": (1, "veg"),
        "酸辣汤": (1, "veg"),
        "番茄蛋花汤": (0, "veg"),
        "担担面": (2, "nuts", "gluten"),
        "红油抄手": (2, "gluten"),
        "扬州炒饭": (0, "seafood"),
        "白米饭": (0, "veg"),
        "水晶虾饺": (0, "seafood"),
        "蟹籽烧卖": (0, "seafood", "gluten"),
        "叉烧包": (0, "gluten"),
        "流沙包": (0, "veg", "gluten"),
        "鲜虾肠粉": (0, "seafood"),
        "葡式蛋挞": (0, "veg", "gluten"),
        "青岛啤酒": (0, "gluten"),
    },
    "dimsum": {
        "水晶虾饺": (0, "seafood"),
        "蟹籽烧卖": (0, "seafood", "gluten"),
        "蜜汁叉烧包": (0, "gluten"),
        "流沙包": (0, "veg", "gluten"),
        "鲜虾肠粉": (0, "seafood"),
        "酥皮蛋挞": (0, "veg", "gluten"),
        "扬州炒饭": (0, "seafood"),
    },
}


def _tags_load(restaurant: Restaurant) -> None:
    """The demo's tags, and its dishes' tags and spice levels (by dish name); nothing if the
    restaurant has tags (a demo loaded before tags existed gets them once). Made in bulk,
    so the menu version is bumped here, once."""
    marks = DISH_MARKS.get(restaurant.slug)
    if not marks or restaurant.tags.exists():
        return
    used = {key for _, *keys in marks.values() for key in keys}
    tags = Tag.objects.bulk_create(
        Tag(restaurant=restaurant, name=name, name_en=name_en, icon=icon, sort_order=n * 10)
        for n, (name, name_en, icon) in enumerate((TAGS[k] for k in TAGS if k in used), 1)
    )
    by_key = dict(zip([k for k in TAGS if k in used], tags, strict=True))
    dishes = dict(restaurant.dishes.filter(name__in=marks).values_list("name", "pk"))
    Dish.tags.through.objects.bulk_create(
        Dish.tags.through(dish_id=dishes[name], tag_id=by_key[key].pk)
        for name, (_, *keys) in marks.items() if name in dishes for key in keys
    )  # fmt: skip
    for level in (1, 2, 3):
        names = [name for name, (spice, *_) in marks.items() if spice == level]
        restaurant.dishes.filter(name__in=names, spice=0).update(spice=level)
    menu_version_bump(restaurant_id=restaurant.pk)


# 打包费: what packing a portion to take away costs (minor units), by dish name: soups and
# noodles travel in a box of their own.
PACKING = {
    "shuxiang": {"酸辣汤": 200, "老火靓汤": 200, "番茄蛋花汤": 200, "西湖牛肉羹": 200,
                 "担担面": 100, "干炒牛河": 100},
    "dimsum": {"干炒牛河": 200},
}  # fmt: skip


def _packing_load(restaurant: Restaurant) -> None:
    """The demo's packing fees; nothing if a dish of the restaurant has one (a demo loaded
    before fees existed gets them once). Set in bulk: the menu version is bumped here."""
    fees = PACKING.get(restaurant.slug)
    if not fees or restaurant.dishes.filter(packing_fee__gt=0).exists():
        return
    for name, fee in fees.items():
        restaurant.dishes.filter(name=name).update(packing_fee=fee)
    menu_version_bump(restaurant_id=restaurant.pk)


# The till's evening -----------------------------------------------------------------------
#
# 蜀香小馆 tonight, made through the services the pages use (a diner's ops as the phone sends
# them, the kitchen's moves, the till's payments, discounts and closing), so that the night's
# report has something to add up and the cashier a table to settle live:
# - 7号桌: each pays their own (by diner): cash with change, Alipay;
# - 8号桌: a fish shared by three, cucumbers on the house, a member's 5% off, each paying
#   their part three ways;
# - 9号桌: AA among four, one card payment refunded and paid again by Alipay;
# - 10号桌: a soup taken back (too long), a dish discounted, ¥100 by card and the rest WeChat;
# - 包间B (12): the company's account, closed unpaid by the manager;
# - 包间A (11): still eating, the dim sum on its way: settle it at the till.

EVENING_TABLES = (7, 8, 9, 10, 11, 12)
EVENING_STAFF = {"manager": "王经理", "cashier": "小陈", "waiter": "小李"}


def _till_load(restaurant: Restaurant, demo: DemoRestaurant, *, fresh: bool) -> None:
    """The demo's till settings, and its evening where it has one: for a restaurant loaded
    now; for one loaded before only if it has an evening and has never used the till (no
    payment, no check closed: its checks then say it is done) and the evening's tables are
    free. So it happens once, and never over what a restaurant did at its till."""
    if not fresh:
        if not demo.evening or Payment.objects.filter(restaurant=restaurant).exists():
            return
        if ClosedCheck.objects.filter(restaurant=restaurant).exists():
            return
        tables = Table.objects.filter(restaurant=restaurant, number__in=EVENING_TABLES)
        if (
            tables.count() < len(EVENING_TABLES)
            or DiningSession.objects.filter(
                table__in=tables, status=DiningSession.Status.OPEN
            ).exists()
        ):
            return
    settings = dict(demo.till)
    station = settings.pop("receipt_station", None)
    for name, value in settings.items():
        setattr(restaurant, name, value)
    restaurant.receipt_station = restaurant.stations.filter(code=station).first()
    restaurant.save()
    if demo.evening:
        _Evening(restaurant).load()


class _Evening:
    def __init__(self, restaurant: Restaurant) -> None:
        self.restaurant = restaurant
        dishes = Dish.objects.filter(category__restaurant=restaurant).prefetch_related(
            "option_groups__options"
        )
        self.dishes = {d.name_en: d for d in dishes}
        self.tables = {t.number: t for t in Table.objects.filter(restaurant=restaurant)}
        self.staff = {role: _evening_staff(restaurant, role, name)
                      for role, name in EVENING_STAFF.items()}  # fmt: skip
        self.reasons = {r.name_en: r for r in AdjustReason.objects.filter(restaurant=restaurant)}
        self.ops = 0

    def op_id(self) -> str:
        self.ops += 1
        return f"demo-evening-{self.ops}"

    def diner_op(self, diner: Diner, message: dict) -> int:
        message = {**message, "id": self.op_id()}
        op = msgspec.convert(message, diner_protocol.DINER_OPS[message["type"]])
        return diner_op_apply(diner_id=diner.pk, op_id=message["id"], op=op)

    def seat(self, number: int, guests: int, rounds: list) -> tuple[DiningSession, dict, dict]:
        """Staff open table ``number`` for ``guests``; each round is ``(diner's name,
        [(dish's English name, qty, [option names])])``, added from that diner's phone and
        sent. Returns (the meal, diners by name, its dishes by "name:dish")."""
        table = self.tables[number]
        session = session_open(table=table, by_staff=True)
        diners: dict[str, Diner] = {}
        for name, dishes in rounds:
            if name not in diners:
                diner = diner_arrive(table=table, known_diner_ids=[])
                self.diner_op(diner, {"type": "diner.rename", "name": name})
                diners[name] = diner
            self.order(session, diners[name], dishes)
        self.diner_op(next(iter(diners.values())), {"type": "meal.set", "guests": guests})
        items = {}
        for item in OrderItem.objects.filter(order__session=session).select_related("dish"):
            name = next(n for n, d in diners.items() if d.pk == item.added_by_id)
            items[f"{name}:{item.dish.name_en}"] = item
        return session, diners, items

    def order(self, session: DiningSession, diner: Diner, dishes: list) -> None:
        """A round from ``diner``'s phone: ``[(dish's English name, qty, [option names])]``
        into the cart, then sent."""
        for dish_name, qty, options in dishes:
            dish = self.dishes[dish_name]
            self.diner_op(diner, {"type": "cart.add", "dish_id": dish.pk, "qty": qty,
                                  "options": _options(dish, options)})  # fmt: skip
        seq = DiningSession.objects.get(pk=session.pk).seq
        self.diner_op(diner, {"type": "order.submit", "seq": seq})

    def serve(self, session: DiningSession, status: str = "served") -> None:
        """Every round of the meal not yet there goes to ``status`` (the kitchen's move)."""
        for order in Order.objects.filter(session=session).exclude(
            status__in=(Order.Status.SERVED, Order.Status.CANCELLED, status)
        ):
            order_status_set(restaurant=self.restaurant, order_id=order.pk, status=status,
                             by_id=self.staff["waiter"].pk)  # fmt: skip

    def adjust(self, item: OrderItem, kind: str, reason: str, role: str) -> None:
        item_adjust(restaurant=self.restaurant, item_id=item.pk, kind=kind, qty=1,
                    reason_id=self.reasons[reason].pk, by_id=self.staff[role].pk,
                    role=role)  # fmt: skip

    def discount(self, session: DiningSession, reason: str, *, item=None, percent=None,
                 amount=None) -> None:  # fmt: skip
        discount_add(restaurant=self.restaurant, session_id=session.pk, reason=reason,
                     op_id=self.op_id(), by=self.staff["manager"],
                     item_id=item.pk if item else None, percent=percent,
                     amount=amount)  # fmt: skip

    def pay(self, session: DiningSession, method: str, target: str = "check", *,
            amount: int | None = None, cash_note: int = 0) -> Payment:  # fmt: skip
        """Pay ``target``'s due (or ``amount`` of it) by ``method``; cash handed over in notes
        of ``cash_note`` (minor units), the change worked out by the till."""
        session = DiningSession.objects.get(pk=session.pk)  # its guests as set since
        check, _, _, _, payments = check_of(session, self.restaurant)
        due = share_due(check, payments, target)
        amount = due if amount is None else amount
        tendered = -(-amount // cash_note) * cash_note if cash_note else None
        return payment_record(restaurant=self.restaurant, session_id=session.pk,
                              method=method, amount=amount, target=target, expect=due,
                              op_id=self.op_id(), by=self.staff["cashier"],
                              tendered=tendered)  # fmt: skip

    def close(self, session: DiningSession, *, unpaid_reason: str = "") -> None:
        meal_close(
            restaurant=self.restaurant,
            table=self.tables[session.table.number],
            by=self.staff["manager" if unpaid_reason else "cashier"],
            may_close_unpaid=bool(unpaid_reason),
            unpaid_reason=unpaid_reason,
        )

    def load(self) -> None:
        r = self.restaurant
        spicy, mild = ["中辣"], ["微辣"]

        # 7号桌: by diner.
        meal, d, _ = self.seat(7, 2, [
            ("小王", [("Kung Pao Chicken", 1, spicy), ("Steamed Rice", 1, [])]),
            ("Lily", [("Tomato and Egg Stir-Fry", 1, []), ("Steamed Rice", 1, []),
                      ("Iced Lemon Tea", 1, ["少冰"])]),
        ])  # fmt: skip
        self.serve(meal)
        self.pay(meal, "cash", f"diner:{d['小王'].pk}", cash_note=5000)
        self.pay(meal, "alipay", f"diner:{d['Lily'].pk}")
        self.close(meal)

        # 8号桌: a fish for three, cucumbers on the house, a member's 5% off (the fen dropped).
        meal, d, items = self.seat(8, 3, [
            ("张姐", [("Sichuan Boiled Fish", 1, [*spicy, "小份"]), ("Steamed Rice", 1, [])]),
            ("老李", [("Twice-Cooked Pork", 1, mild), ("Tsingtao Beer", 3, [])]),
            ("阿强", [("Smashed Cucumber", 1, []), ("Steamed Rice", 1, [])]),
        ])  # fmt: skip
        self.serve(meal)
        with transaction.atomic():
            item_owners_set(session=session_lock(meal.pk),
                            item_id=items["张姐:Sichuan Boiled Fish"].pk,
                            diner_ids=[diner.pk for diner in d.values()])  # fmt: skip
        self.adjust(items["阿强:Smashed Cucumber"], "comp", "Regular", "waiter")
        self.discount(meal, "会员95折 Member 5% off", percent=Decimal(5))
        self.pay(meal, "wechat", f"diner:{d['张姐'].pk}")
        self.pay(meal, "card", f"diner:{d['老李'].pk}")
        self.pay(meal, "cash", f"diner:{d['阿强'].pk}", cash_note=10000)
        self.close(meal)

        # 9号桌: AA among four; a card payment given back, paid again by Alipay.
        meal, _, _ = self.seat(9, 4, [
            ("Tom", [("Honey-Glazed Char Siu", 1, ["小份"]), ("White Cut Chicken", 1, ["小份"]),
                     ("Lettuce in Oyster Sauce", 1, []), ("Yangzhou Fried Rice", 1, ["小份"]),
                     ("Chrysanthemum Tea", 1, [])]),
        ])  # fmt: skip
        self.serve(meal)
        self.pay(meal, "wechat", "equal:4:0")
        wrong = self.pay(meal, "card", "equal:4:1")
        payment_refund(restaurant=r, payment_id=wrong.pk, amount=wrong.amount,
                       reason="改用支付宝 Paid by Alipay instead", op_id=self.op_id(),
                       by=self.staff["manager"])  # fmt: skip
        self.pay(meal, "alipay", "equal:4:1")
        self.pay(meal, "wechat", "equal:4:2")
        self.pay(meal, "cash", "equal:4:3", cash_note=10000)
        self.close(meal)

        # 10号桌: the soup took too long, the pork came salty; ¥100 by card, the rest WeChat.
        meal, _, items = self.seat(10, 2, [
            ("陈先生", [("Beef Chow Fun", 1, []), ("Fuqi Feipian", 1, mild),
                        ("Hot and Sour Soup", 1, ["小份"])]),
            ("陈太太", [("Yu Xiang Shredded Pork", 1, mild), ("Hong Kong Milk Tea", 1, [])]),
        ])  # fmt: skip
        self.adjust(items["陈先生:Hot and Sour Soup"], "void", "Took too long", "manager")
        self.serve(meal)
        self.discount(meal, "口味偏咸 Too salty", item=items["陈太太:Yu Xiang Shredded Pork"],
                      amount=500)  # fmt: skip
        self.pay(meal, "card", amount=10000)
        self.pay(meal, "wechat")
        self.close(meal)

        # 包间B: on the company's account, settled monthly.
        meal, _, _ = self.seat(12, 2, [
            ("王总", [("White Cut Chicken", 1, ["大份"]), ("Sour Plum Drink", 2, [])]),
        ])  # fmt: skip
        self.serve(meal)
        self.close(meal, unpaid_reason="公司挂账，月结 Company account, monthly")

        # 包间A: still at the table, the dim sum on its way.
        meal, d, _ = self.seat(11, 4, [
            ("Amy", [("Kung Pao Chicken", 1, mild), ("Mapo Tofu", 1, mild),
                     ("Steamed Rice", 4, [])]),
        ])  # fmt: skip
        self.serve(meal)
        self.order(meal, d["Amy"], [("Har Gow", 1, []), ("Hong Kong Milk Tea", 2, [])])
        self.serve(meal, "preparing")


def _options(dish: Dish, names: list[str]) -> list[int]:
    """The options of ``dish`` named in ``names``, and the first one of each group that needs a
    choice and got none."""
    chosen = []
    for group in dish.option_groups.all():
        options = list(group.options.all())
        picked = [o.pk for o in options if o.name in names][: group.max_choices]
        missing = group.min_choices - len(picked)
        if missing > 0:
            picked += [o.pk for o in options if o.pk not in picked][:missing]
        chosen += picked
    return chosen


def _evening_staff(restaurant: Restaurant, role: str, name: str):
    """The demo login of ``role`` (made here when missing, named ``name``, with no password
    yet: `demo_logins` gives it the one it prints)."""
    User = get_user_model()
    username = login_username(restaurant.slug, role)
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, first_name=name, is_active=True)
        user.set_unusable_password()
        user.save()
    if not StaffMember.objects.filter(user=user, restaurant=restaurant).exists():
        staff_member_create(restaurant=restaurant, role=role, username=username, password=None)
    return user


def _menu_load(restaurant: Restaurant, menu: list) -> None:
    groups: dict[tuple, OptionGroup] = {}  # the restaurant's, by their definition
    for c, category_data in enumerate(menu, start=1):
        category = Category.objects.create(
            restaurant=restaurant,
            name=category_data["name"],
            name_en=category_data["name_en"],
            sort_order=c * 10,
        )
        for d, data in enumerate(category_data["dishes"], start=1):
            _create_dish(category, data, sort_order=d * 10, groups=groups)


def _sets_load(restaurant: Restaurant, sets: list) -> None:
    if not sets:
        return
    category = Category.objects.create(restaurant=restaurant, name="套餐",
                                       name_en="Set meals", sort_order=15)  # fmt: skip
    spice = OptionGroup.objects.filter(restaurant=restaurant, name=SPICE[0]).first()
    for s, (name, name_en, price, image, text, text_en, picks) in enumerate(sets, 1):
        meal = Dish.objects.create(
            category=category, name=name, name_en=name_en, price=price, description=text,
            description_en=text_en, image=f"dishes/{image}.svg", sort_order=s * 10,
        )  # fmt: skip
        for g, (group_name, group_name_en, count, choices) in enumerate(picks, 1):
            group = OptionGroup.objects.create(
                restaurant=restaurant, name=group_name, name_en=group_name_en,
                min_choices=count, max_choices=count, sort_order=g,
            )  # fmt: skip
            for o, (dish_name, extra) in enumerate(choices, 1):
                part = Dish.objects.get(restaurant=restaurant, name=dish_name)
                Option.objects.create(group=group, name=part.name, name_en=part.name_en,
                                      price=extra, dish=part, sort_order=o)  # fmt: skip
            meal.option_groups.add(group)
        if spice is not None:
            meal.option_groups.add(spice)


def _counts_load(restaurant: Restaurant, counted: dict) -> None:
    for name, (left, par) in counted.items():
        dish = Dish.objects.get(restaurant=restaurant, name=name)
        dish_set_stock(restaurant=restaurant, dish_id=dish.pk, stock=left, par=par)


def _create_dish(
    category: Category, data: dict, *, sort_order: int, groups: dict[tuple, OptionGroup]
) -> Dish:
    """The dish, offering its option groups: one group per definition in a restaurant (SPICE
    is defined once and offered on every spicy dish), made where ``groups`` lacks it."""
    new_dish = Dish.objects.create(
        category=category,
        name=data["name"],
        name_en=data["name_en"],
        description=data["description"],
        description_en=data["description_en"],
        price=data["price"],
        image=data["image"],
        sold_out=data["sold_out"],
        sort_order=sort_order,
    )
    for g, definition in enumerate(data["groups"], 1):
        name, name_en, min_choices, max_choices, options = definition
        key = (name, name_en, min_choices, max_choices, tuple(options))
        if key not in groups:
            # Ordered where it is first offered (spice level first, then size, then add-ons).
            groups[key] = OptionGroup.objects.create(
                restaurant_id=category.restaurant_id,
                name=name,
                name_en=name_en,
                min_choices=min_choices,
                max_choices=max_choices,
                sort_order=g * 10,
            )
            Option.objects.bulk_create(
                Option(
                    group=groups[key],
                    name=o_name,
                    name_en=o_name_en,
                    price=price,
                    sort_order=o * 10,
                )
                for o, (o_name, o_name_en, price) in enumerate(options, 1)
            )
        new_dish.option_groups.add(groups[key])
    return new_dish


# Logins ---------------------------------------------------------------------------------

ROLES = [role.value for role in StaffMember.Role]
LOGINS_FILE = "demo_logins.json"


@dataclass(frozen=True)
class Login:
    restaurant: Restaurant | None  # None: the superuser (every restaurant, the whole admin)
    role: str
    username: str
    password: str


def login_username(slug: str, role: str) -> str:
    return f"{slug}-{role}"


def demo_logins(*, var_dir: Path, superuser: str, renew: bool = False) -> list[Login]:
    """The superuser, and one login per role at each demo restaurant present, made when
    missing. Their generated passwords are kept in ``var_dir`` (0600), so each start prints
    the same ones; a login whose password that file does not know (a new database, a lost
    file, a password changed elsewhere) gets a new one, as does every login with ``renew``.
    Logins of people made with `staff_create` are never touched."""
    path = var_dir / LOGINS_FILE
    try:
        known = json.loads(path.read_text())
    except (OSError, ValueError):
        known = {}
    logins = [_superuser(superuser, known.get(superuser), renew)]
    restaurants = Restaurant.objects.filter(slug__in=DEMO_SLUGS).order_by("pk")
    for restaurant in restaurants:
        for role in ROLES:
            username = login_username(restaurant.slug, role)
            password = _member(restaurant, role, username, known.get(username), renew)
            logins.append(Login(restaurant, role, username, password))
    remembered = {login.username: login.password for login in logins}
    if remembered != known:
        path.write_text(json.dumps(remembered, indent=1) + "\n")
    path.chmod(0o600)
    return logins


def _new_password(user) -> str:
    password = secrets.token_urlsafe(12)  # 16 characters
    validate_password(password, user)  # held to the staff policy like any other
    return password


def _superuser(username: str, known: str | None, renew: bool) -> Login:
    User = get_user_model()
    with transaction.atomic():
        user = User.objects.select_for_update().filter(username=username).first()
        user = user or User(username=username)
        if renew or known is None or not user.check_password(known) or not user.is_superuser:
            known = _new_password(user)
            user.is_staff = user.is_superuser = user.is_active = True
            user.set_password(known)
            user.save()
    return Login(None, "superuser", username, known)


def _member(restaurant: Restaurant, role: str, username: str, known: str | None, renew) -> str:
    User = get_user_model()
    with transaction.atomic():
        user = User.objects.select_for_update().filter(username=username).first()
        if user is None:
            password = _new_password(User(username=username))
            staff_member_create(
                restaurant=restaurant, role=role, username=username, password=password
            )
            return password
        if not StaffMember.objects.filter(user=user, restaurant=restaurant).exists():
            staff_member_create(restaurant=restaurant, role=role, username=username, password=None)
        if renew or known is None or not user.check_password(known):
            known = _new_password(user)
            user.set_password(known)
            user.is_active = True
            user.save(update_fields=["password", "is_active"])
        return known
