//! The names each division answers to, full and short, and the rules for
//! short names (the list is in the `regions` module doc): people write
//! `浙江杭州西湖` as often as `浙江省杭州市西湖区`, but a short name is
//! weaker evidence, so it is marked as such and never shadows a full name.

use super::regions::{CityKind, Entry, Node, Regions};

/// The autonomous regions' (and SARs') common short names.
const PROVINCE_SHORT: &[(&str, &str)] = &[
    ("内蒙古自治区", "内蒙古"),
    ("广西壮族自治区", "广西"),
    ("西藏自治区", "西藏"),
    ("宁夏回族自治区", "宁夏"),
    ("新疆维吾尔自治区", "新疆"),
    ("香港特别行政区", "香港"),
    ("澳门特别行政区", "澳门"),
];

const PROVINCE_SUFFIXES: &[&str] = &["省", "市"];
const CITY_SUFFIXES: &[&str] = &["地区", "市", "盟"];
const DISTRICT_SUFFIXES: &[&str] = &["新区", "林区", "区", "县", "市", "旗"];

/// The peoples named in autonomous prefectures, counties and banners
/// (`阿坝藏族羌族自治州`, `伊犁哈萨克自治州`, `龙胜各族自治县`).
const PEOPLES: &[&str] = &[
    "朝鲜",
    "土家",
    "土",
    "苗",
    "藏",
    "羌",
    "彝",
    "布依",
    "侗",
    "哈尼",
    "壮",
    "傣",
    "白",
    "景颇",
    "傈僳",
    "回",
    "蒙古",
    "柯尔克孜",
    "哈萨克",
    "满",
    "瑶",
    "黎",
    "佤",
    "畲",
    "拉祜",
    "水",
    "东乡",
    "纳西",
    "达斡尔",
    "仫佬",
    "撒拉",
    "毛南",
    "仡佬",
    "锡伯",
    "普米",
    "塔吉克",
    "怒",
    "鄂温克",
    "保安",
    "裕固",
    "独龙",
    "鄂伦春",
    "布朗",
    "各族",
];

/// An autonomous division's place name: what comes before the first
/// people named, at least two characters in (`阿坝`, `伊犁`, `长白`).
fn place_name(name: &str) -> Option<&str> {
    let starts: Vec<usize> = name.char_indices().map(|(i, _)| i).skip(2).collect();
    starts
        .into_iter()
        .find(|i| PEOPLES.iter().any(|p| name[*i..].starts_with(p)))
        .map(|i| &name[..i])
}

/// A name without its first matching suffix, if at least two characters
/// remain; an autonomous division's short name is its place name.
fn strip_suffix<'a>(name: &'a str, suffixes: &[&str]) -> Option<&'a str> {
    if name.contains("自治") {
        return place_name(name);
    }
    suffixes
        .iter()
        .find_map(|suffix| name.strip_suffix(suffix))
        .filter(|short| short.chars().count() >= 2)
}

/// The short name of a province's full name.
pub(super) fn province_short(name: &str) -> Option<&str> {
    match PROVINCE_SHORT.iter().find(|(full, _)| *full == name) {
        Some((_, short)) => Some(short),
        None => strip_suffix(name, PROVINCE_SUFFIXES),
    }
}

pub(super) fn city_short(name: &str) -> Option<&str> {
    strip_suffix(name, CITY_SUFFIXES)
}

pub(super) fn district_short(name: &str) -> Option<&str> {
    strip_suffix(name, DISTRICT_SUFFIXES)
}

/// Every node of the table with the full and short names it answers to.
fn names_of(regions: &Regions) -> Vec<(Node, String, Option<String>)> {
    let mut out = Vec::new();
    for p in 0..regions.province_count() {
        let name = &regions.division(Node::Province(p)).name;
        let short = province_short(name).map(str::to_string);
        out.push((Node::Province(p), name.clone(), short));
    }
    for c in 0..regions.city_count() {
        let node = Node::City(c);
        match regions.city_kind(c) {
            CityKind::Normal => {
                let name = &regions.division(node).name;
                out.push((node, name.clone(), city_short(name).map(str::to_string)));
            }
            CityKind::Municipal => {
                let province = Node::Province(regions.city_province(c));
                let name = &regions.division(province).name;
                out.push((node, name.clone(), province_short(name).map(str::to_string)));
            }
            CityKind::DirectCounties => {}
        }
    }
    for d in 0..regions.district_count() {
        let name = &regions.division(Node::District(d)).name;
        let short = district_short(name).map(str::to_string);
        out.push((Node::District(d), name.clone(), short));
    }
    out
}

/// Fills the table's name index: full names first, then the short names
/// that are nobody's full name.
pub(super) fn index(regions: &mut Regions) {
    let names = names_of(regions);
    for (node, full, _) in &names {
        let entry = Entry {
            node: *node,
            short: false,
        };
        regions.add_name(full, entry);
    }
    for (node, _, short) in &names {
        let Some(short) = short else { continue };
        if regions.lookup(short).iter().any(|e| !e.short) {
            continue;
        }
        regions.add_name(
            short,
            Entry {
                node: *node,
                short: true,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_name_rules() {
        let provinces = [
            ("浙江省", Some("浙江")),
            ("上海市", Some("上海")),
            ("黑龙江省", Some("黑龙江")),
            ("广西壮族自治区", Some("广西")),
            ("内蒙古自治区", Some("内蒙古")),
        ];
        for (full, short) in provinces {
            assert_eq!(province_short(full), short, "{full}");
        }
        let cities = [
            ("杭州市", Some("杭州")),
            ("阿克苏地区", Some("阿克苏")),
            ("兴安盟", Some("兴安")),
            ("延边朝鲜族自治州", Some("延边")),
            ("阿坝藏族羌族自治州", Some("阿坝")),
            ("伊犁哈萨克自治州", Some("伊犁")),
            ("克孜勒苏柯尔克孜自治州", Some("克孜勒苏")),
            ("吉林市", Some("吉林")),
        ];
        for (full, short) in cities {
            assert_eq!(city_short(full), short, "{full}");
        }
        let districts = [
            ("西湖区", Some("西湖")),
            ("浦东新区", Some("浦东")),
            ("神农架林区", Some("神农架")),
            ("城区", None),
            ("忠县", None),
            ("仙桃市", Some("仙桃")),
            ("莫力达瓦达斡尔族自治旗", Some("莫力达瓦")),
            ("石柱土家族自治县", Some("石柱")),
            ("长白朝鲜族自治县", Some("长白")),
            ("龙胜各族自治县", Some("龙胜")),
            ("鄂伦春自治旗", None),
        ];
        for (full, short) in districts {
            assert_eq!(district_short(full), short, "{full}");
        }
    }
}
