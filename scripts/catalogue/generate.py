#!/usr/bin/env python3
"""Generates the catalogue files of the disease masters from the reference data in
../shared/catalogue (see its README for sources and licences):

  masters/2024-04-01/nanbyo/catalogue.json   the 341 指定難病 of 2024-04
  masters/2024-04-01/shoman/catalogue.json   the 小児慢性特定疾病 (2020 list, by 告示番号)
  masters/2025-04-01/nanbyo/catalogue.json   what the 2025-04 list changes (7 added, 2 renamed)
  masters/weights/nanbyo-estimated-patients-2020-03.json   患者数 per disease, for coverage

A catalogue entry is a disease's name, reading and group only; its items and rules, when it has
any, are in its own file beside the catalogue, and every disease shares the layout of
masters/<form version>/layout.json. Re-run after changing the reference data:

  python3 scripts/catalogue/generate.py ../shared/catalogue

The kana readings are generated (pykakasi, with the medical readings of READINGS below taking
precedence) and are a search aid only: they are not verified against an official reading.
"""

import csv
import json
import sys
from collections import OrderedDict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Readings of medical morphemes that a general dictionary gets wrong (筋 as すじ, 炎 as ほのお).
# Longest first when applied.
READINGS = {
    "球脊髄性": "キュウセキズイセイ", "筋萎縮": "キンイシュク", "筋無力": "キンムリョク",
    "筋ジストロフィー": "キンジストロフィー", "筋炎": "キンエン", "筋症": "キンショウ",
    "心筋": "シンキン", "平滑筋": "ヘイカツキン", "骨格筋": "コッカクキン", "筋": "キン",
    "大腸炎": "ダイチョウエン", "腸炎": "チョウエン", "炎": "エン", "後縦靱帯": "コウジュウジンタイ",
    "黄色靱帯": "オウショクジンタイ", "靱帯": "ジンタイ", "型": "ガタ", "側索": "ソクサク",
    "小脳": "ショウノウ", "大脳": "ダイノウ", "脊髄": "セキズイ", "症候群": "ショウコウグン",
    "嚢胞": "ノウホウ", "腎症": "ジンショウ", "腎": "ジン", "肝": "カン", "膵": "スイ",
    "胆管": "タンカン", "紫斑病": "シハンビョウ", "血小板": "ケッショウバン", "減少": "ゲンショウ",
    "疱": "ホウ", "天疱瘡": "テンポウソウ", "類天疱瘡": "ルイテンポウソウ", "膠原病": "コウゲンビョウ",
    "強皮症": "キョウヒショウ", "皮膚": "ヒフ", "網膜色素変性症": "モウマクシキソヘンセイショウ",
    "下垂体": "カスイタイ", "前葉": "ゼンヨウ", "機能低下": "キノウテイカ", "亢進": "コウシン",
    "分泌": "ブンピツ", "骨頭": "コットウ", "壊死": "エシ", "大腿": "ダイタイ", "間質性": "カンシツセイ",
    "肺": "ハイ", "肺炎": "ハイエン", "前頭側頭葉": "ゼントウソクトウヨウ", "変性": "ヘンセイ",
    "結節性": "ケッセツセイ", "硬化": "コウカ", "多系統": "タケイトウ", "萎縮": "イシュク",
    "混合性": "コンゴウセイ", "結合組織": "ケツゴウソシキ", "再生不良性": "サイセイフリョウセイ",
    "貧血": "ヒンケツ", "抗体": "コウタイ", "動脈": "ドウミャク", "血管": "ケッカン",
    "顕微鏡的": "ケンビキョウテキ", "核上性": "カクジョウセイ", "麻痺": "マヒ", "若年性": "ジャクネンセイ",
    "関節": "カンセツ", "痙攣": "ケイレン", "重積": "ジュウセキ", "脳症": "ノウショウ",
    "副鼻腔": "フクビクウ", "好酸球": "コウサンキュウ", "原発性": "ゲンパツセイ", "特発性": "トクハツセイ",
    "先天性": "センテンセイ", "遺伝性": "イデンセイ", "家族性": "カゾクセイ", "欠損症": "ケッソンショウ",
    "欠損": "ケッソン", "異常症": "イジョウショウ", "奇形": "キケイ", "糖原病": "トウゲンビョウ",
    "骨形成不全症": "コツケイセイフゼンショウ", "白血病": "ハッケツビョウ", "腫瘍": "シュヨウ",
    "潰瘍": "カイヨウ", "ネフローゼ": "ネフローゼ", "喘息": "ゼンソク", "糖尿病": "トウニョウビョウ",
    "低身長": "テイシンチョウ", "不全": "フゼン", "心疾患": "シンシッカン", "形成": "ケイセイ",
    "拡張型": "カクチョウガタ", "肥大型": "ヒダイガタ", "拘束型": "コウソクガタ", "全身性": "ゼンシンセイ",
    "多発性": "タハツセイ", "視神経": "シシンケイ", "重症": "ジュウショウ",
}


def kana(name, kks):
    # Replace the known morphemes first (longest first), then let pykakasi read the rest.
    keys = sorted(READINGS, key=len, reverse=True)
    out, i = [], 0
    while i < len(name):
        for k in keys:
            if name.startswith(k, i):
                out.append(READINGS[k])
                i += len(k)
                break
        else:
            j = i + 1
            while j < len(name) and not any(name.startswith(k, j) for k in keys):
                j += 1
            out.append("".join(p["kana"] for p in kks.convert(name[i:j])))
            i = j
    text = "".join(out)
    # Only katakana, the long vowel mark and ASCII letters/digits are kept (a search key).
    return "".join(c for c in text if ("ァ" <= c <= "ヶ") or c == "ー" or c.isascii() and c.isalnum())


def write(path, value):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def rows(src, name):
    with open(src / name, encoding="utf-8") as f:
        return list(csv.DictReader(f))


def main():
    import pykakasi

    src = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT.parent / "shared" / "catalogue")
    kks = pykakasi.kakasi()
    groups = OrderedDict()
    for r in rows(src, "nanbyo-disease-groups-2025-04.csv"):
        groups.setdefault(r["no"], []).append(r["group"].strip())

    def nanbyo_entry(r, effective_from=None):
        e = OrderedDict()
        e["code"] = r["no"]
        e["name_ja"] = r["name"].strip()
        # The reference data has no English names: the entry says what it is, not a translation.
        e["name_en"] = f"Designated intractable disease {r['no']}"
        e["name_kana"] = kana(r["name"].strip(), kks)
        e["disease_group"] = "／".join(groups.get(r["no"], [])) or None
        if effective_from:
            e["effective_from"] = effective_from
        return e

    n2024 = rows(src, "nanbyo-diseases-2024-04.csv")
    write(ROOT / "masters/2024-04-01/nanbyo/catalogue.json", OrderedDict([
        ("program", "nanbyo"),
        ("form_version", "2024-04-01"),
        ("sources", [
            "厚生労働省「指定難病病名一覧表」(令和6年4月1日現在、341疾病)。GitHub 136s/intractable-disease commit bb58b44 (2024-12-02) の加工データ(CC-BY-4.0)による。",
            "疾患群: 同リポジトリ commit 571b543 (2025-04) の分類。読み(name_kana)は自動生成した検索用の読みで、正式な読みとして確認していない。",
        ]),
        ("entries", [nanbyo_entry(r) for r in n2024]),
    ]))

    old = {r["no"]: r["name"].strip() for r in n2024}
    changed = [r for r in rows(src, "nanbyo-diseases-2025-04.csv")
               if old.get(r["no"]) != r["name"].strip()]
    entries = []
    for r in changed:
        e = nanbyo_entry(r, "2025-04-01")
        if r["no"] in old:
            e["aliases"] = [old[r["no"]]]
        entries.append(e)
    write(ROOT / "masters/2025-04-01/nanbyo/catalogue.json", OrderedDict([
        ("program", "nanbyo"),
        ("form_version", "2024-04-01"),
        ("effective_from", "2025-04-01"),
        ("sources", [
            "厚生労働省「指定難病病名一覧表」(令和7年4月1日現在、348疾病): 342〜348の追加と63、154の名称変更。GitHub 136s/intractable-disease commit e2b6645 (2025-04-01) の加工データ(CC-BY-4.0)による。",
            "本ファイルは2024-04の一覧からの変更分だけを持つ。変更のない疾病は2024-04の版のまま効力を持つ。",
        ]),
        ("entries", entries),
    ]))

    # 小慢: one entry per 告示番号 within its 疾患群; the names NANDO lists under one number are
    # aliases of the first. Where the masters shipped before the catalogue use another number
    # (the numbers shifted after 2020), the shipped code is kept: RECONCILED maps a 2020 code to
    # it, and the 2020 entry that code displaces is listed under DISPLACED.
    reconciled = {"2-21": "2-24"}  # 微小変化型ネフローゼ症候群: 2020 list 21, shipped master 2-24
    displaced = {"2-24": "2-24-2020"}  # 膜性腎症: 2020 list 24; its current number is unverified
    by_code = OrderedDict()
    for r in rows(src, "shoman-diseases-2020.csv"):
        code = f"{r['group']}-{r['notification_no']}"
        code = displaced.get(code, code)
        code = reconciled.get(code, code)
        by_code.setdefault(code, []).append(r)
    entries = []
    for code, rs in by_code.items():
        first = rs[0]
        e = OrderedDict()
        e["code"] = code
        e["name_ja"] = first["name_ja"].strip()
        e["name_en"] = first["name_en"].strip()
        e["name_kana"] = kana(first["name_ja"].strip(), kks)
        e["disease_group"] = first["group_name"].strip()
        aliases = []
        for r in rs[1:] + [first]:
            for n in (r["name_ja"].strip(), r["subgroup_name"].strip()):
                if n and n != e["name_ja"] and n not in aliases:
                    aliases.append(n)
        if aliases:
            e["aliases"] = aliases
        if code in displaced.values():
            e["code_note"] = "2020年の一覧の告示番号24。現行の番号は未確認(24は現行の番号で微小変化型ネフローゼ症候群が用いる)。"
        if code in reconciled.values():
            e["code_note"] = "2020年の一覧では告示番号21。現行の告示番号24(小児慢性特定疾病情報センター)による。"
        entries.append(e)
    write(ROOT / "masters/2024-04-01/shoman/catalogue.json", OrderedDict([
        ("program", "shoman"),
        ("form_version", "2024-04-01"),
        ("sources", [
            "小児慢性特定疾病の一覧(2020年、疾患群1〜15、告示番号は疾患群内の番号)。GitHub aidrd/nando data/shoman.json・shoman_class.json(DBCLS、CC-BY 4.0)による。",
            "未確認: 疾患群16(脈管系疾患)は2020年の一覧になく収載していない。告示番号は2020年以後の告示で一部ずれた(例: 微小変化型ネフローゼ症候群は2020年の一覧で21、現行24)。既存のマスタの番号を優先し、ずれを確認できない番号は2020年のまま。同じ番号に複数の名称がある場合は最初の名称を病名とし、他を別名とした。",
        ]),
        ("entries", entries),
    ]))

    # Weights: a document that covers several diseases (72–78) states one figure for all of
    # them; each disease weighs its share, so the group is counted once.
    patients = rows(src, "nanbyo-estimated-patients-2020-03.csv")
    docs = {}
    for r in patients:
        docs.setdefault(r["document_title"], []).append(r)
    weights = OrderedDict()
    for r in patients:
        if r["estimated_patients"]:
            share = len(docs[r["document_title"]])
            weights[r["no"]] = round(int(r["estimated_patients"]) / share)
    write(ROOT / "masters/weights/nanbyo-estimated-patients-2020-03.json", OrderedDict([
        ("sources", [
            "厚生労働省「概要、診断基準等」(2020-03-11)に記載の患者数(多くは平成24〜26年度の医療受給者証保持者数)。aidrd/nando(DBCLS、CC-BY 4.0)収集の文書から抽出。",
            "優先順位付けのための古い推計で、統計として公表するものではない。72〜78は一つの文書が一つの数を示すため、7疾病で等分した。",
        ]),
        ("patients", weights),
    ]))


if __name__ == "__main__":
    main()
