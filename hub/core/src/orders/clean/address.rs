//! An order's delivery address, cleaned and recognised offline: every
//! field's text cleaned, the country as an ISO code, the postal code
//! checked, and for the mainland the province, city and district found in
//! the fields and the street against the division table (what a map API
//! would do, without one), with their GB/T 2260 codes.
//!
//! The street may carry the whole address pasted from a chat
//! (`浙江省杭州市西湖区文三路90号`): the division names at its start are
//! recognised and taken off it (`文三路90号`) once they agree with the
//! fields. A field that names its division by a short or partial name is
//! written out in full; an empty one is filled when the table leaves one
//! choice. What does not add up is reported (see `resolve`), never
//! guessed, and the fields are then left as the customer wrote them.

use super::regions::{CityKind, Level, Node, Regions};
use super::report::{Field, Fix, Problem, ProblemCode};
use super::resolve::{field_of, resolve, Mention, Resolution, Source};
use super::scan::{field_hits, street_prefix};
use super::{clean_field, CleanAddress, RawAddress};
use serde::{Deserialize, Serialize};

/// The GB/T 2260 six-digit codes of the divisions recognised.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DivisionCodes {
    pub province: Option<String>,
    pub city: Option<String>,
    pub district: Option<String>,
}

/// What [`recognise`] made of an address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressOutcome {
    pub address: CleanAddress,
    pub codes: DivisionCodes,
    pub fixes: Vec<Fix>,
    pub problems: Vec<Problem>,
}

/// Names people write for the mainland, mapped to `CN`.
const CHINA_NAMES: &[&str] = &[
    "CHN",
    "CHINA",
    "PRC",
    "P.R.CHINA",
    "中国",
    "中国大陆",
    "中华人民共和国",
];

/// Cleans and checks an address; for the mainland, recognises it.
pub fn recognise(raw: &RawAddress, regions: &Regions) -> AddressOutcome {
    let mut fixes = Vec::new();
    let mut problems = Vec::new();
    let country = country(&raw.country, &mut fixes, &mut problems);
    let mut address = CleanAddress {
        province: clean_field(&raw.province, Field::Province, &mut fixes),
        city: clean_field(&raw.city, Field::City, &mut fixes),
        district: clean_field(&raw.district, Field::District, &mut fixes),
        street: clean_field(&raw.street, Field::Street, &mut fixes),
        postal_code: clean_field(&raw.postal_code, Field::PostalCode, &mut fixes),
        country,
        division_code: None,
    };
    check_postal_code(&mut address, &mut fixes, &mut problems);
    let mut codes = DivisionCodes::default();
    if address.country == "CN" && regions.is_empty() {
        problems.extend(levels_present(&address));
        fixes.push(Fix::new(
            Field::Province,
            "no region table imported: province, city and district not cross-checked",
        ));
    } else if address.country == "CN" {
        let mut cn = Mainland {
            regions,
            address: &mut address,
            fixes: &mut fixes,
        };
        problems.extend(cn.recognise(&mut codes));
        address.division_code = codes
            .district
            .clone()
            .or(codes.city.clone())
            .or(codes.province.clone());
    }
    if address.street.is_empty() {
        problems.push(Problem::new(
            Field::Street,
            ProblemCode::StreetMissing,
            "the street address (road, number, building) is required",
        ));
    }
    AddressOutcome {
        address,
        codes,
        fixes,
        problems,
    }
}

/// Without a table: each mainland level must at least be given.
fn levels_present(address: &CleanAddress) -> Vec<Problem> {
    [
        (
            &address.province,
            Field::Province,
            ProblemCode::ProvinceMissing,
        ),
        (&address.city, Field::City, ProblemCode::CityMissing),
        (
            &address.district,
            Field::District,
            ProblemCode::DistrictMissing,
        ),
    ]
    .into_iter()
    .filter(|(value, _, _)| value.is_empty())
    .map(|(_, field, code)| {
        let message = format!("{} is required for a mainland address", field.as_str());
        Problem::new(field, code, message)
    })
    .collect()
}

/// The country as an upper-case ISO 3166 alpha-2 code; empty is `CN`,
/// the hub's home market (recorded as a fix).
fn country(raw: &str, fixes: &mut Vec<Fix>, problems: &mut Vec<Problem>) -> String {
    let text = clean_field(raw, Field::Country, fixes);
    let upper = text.to_ascii_uppercase().replace(' ', "");
    if upper.is_empty() {
        fixes.push(Fix::new(Field::Country, "no country given: taken as CN"));
        return "CN".to_string();
    }
    if CHINA_NAMES.contains(&upper.as_str()) {
        fixes.push(Fix::new(
            Field::Country,
            "wrote the country as its ISO code",
        ));
        return "CN".to_string();
    }
    if upper.len() == 2 && upper.bytes().all(|b| b.is_ascii_alphabetic()) {
        if upper != text {
            fixes.push(Fix::new(Field::Country, "upper-cased the country code"));
        }
        return upper;
    }
    problems.push(Problem::new(
        Field::Country,
        ProblemCode::CountryInvalid,
        "the country must be a two-letter ISO 3166 code such as CN",
    ));
    text
}

/// Full-width digits and letters to ASCII, letters upper-cased; then CN:
/// six digits; elsewhere 3 to 10 letters, digits, spaces or dashes.
fn check_postal_code(
    address: &mut CleanAddress,
    fixes: &mut Vec<Fix>,
    problems: &mut Vec<Problem>,
) {
    let folded: String = address.postal_code.chars().map(ascii_fold).collect();
    if folded != address.postal_code {
        fixes.push(Fix::new(
            Field::PostalCode,
            "wrote the postal code in upper-case ASCII",
        ));
        address.postal_code = folded;
    }
    let code = &address.postal_code;
    if code.is_empty() {
        return;
    }
    let (fine, message) = if address.country == "CN" {
        let fine = code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit());
        (fine, "a mainland postal code has 6 digits")
    } else {
        let allowed = code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b' ' || b == b'-');
        let fine = allowed
            && (3..=10).contains(&code.len())
            && code.bytes().any(|b| b.is_ascii_alphanumeric());
        (
            fine,
            "a postal code has 3 to 10 letters, digits, spaces or dashes",
        )
    };
    if !fine {
        problems.push(Problem::new(
            Field::PostalCode,
            ProblemCode::PostalCodeInvalid,
            message,
        ));
    }
}

fn ascii_fold(c: char) -> char {
    let folded = match c {
        '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ' => {
            char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)
        }
        _ => c,
    };
    folded.to_ascii_uppercase()
}

/// Recognition of a mainland address, over its cleaned fields.
struct Mainland<'a> {
    regions: &'a Regions,
    address: &'a mut CleanAddress,
    fixes: &'a mut Vec<Fix>,
}

impl Mainland<'_> {
    fn field(&mut self, level: Level) -> &mut String {
        match level {
            Level::Province => &mut self.address.province,
            Level::City => &mut self.address.city,
            Level::District => &mut self.address.district,
        }
    }

    /// Finds the divisions, fills and rewrites the fields, sets `codes`;
    /// returns the problems.
    fn recognise(&mut self, codes: &mut DivisionCodes) -> Vec<Problem> {
        let mut problems = Vec::new();
        let mut mentions = Vec::new();
        let mut whole = [true; 3];
        for level in [Level::Province, Level::City, Level::District] {
            let text = self.field(level).clone();
            if text.is_empty() {
                continue;
            }
            let (hits, all) = field_hits(&text, self.regions);
            if !all {
                whole[level as usize] = false;
                problems.push(unknown(level));
            }
            for hit in hits {
                let at_level: Vec<Node> = hit
                    .nodes
                    .iter()
                    .copied()
                    .filter(|n| n.level() == level)
                    .collect();
                let nodes = if at_level.is_empty() {
                    hit.nodes
                } else {
                    at_level
                };
                mentions.push(Mention {
                    nodes,
                    source: Source::Field(level),
                });
            }
        }
        let (street_hits, used) = street_prefix(&self.address.street, self.regions);
        mentions.extend(street_hits.into_iter().map(|h| Mention {
            nodes: h.nodes,
            source: Source::Street,
        }));
        let resolution = resolve(&mentions, self.regions);
        problems.extend(resolution.problems.iter().cloned());
        if resolution.contradiction {
            return problems;
        }
        if used > 0 {
            self.address.street = self.address.street[used..].to_string();
            self.fixes.push(Fix::new(
                Field::Street,
                "took the province, city and district names off the start of the street",
            ));
        }
        self.apply(&resolution, &mentions, whole, codes);
        problems
    }

    /// Writes what the resolution made certain into the fields and codes.
    fn apply(
        &mut self,
        resolution: &Resolution,
        mentions: &[Mention],
        whole: [bool; 3],
        codes: &mut DivisionCodes,
    ) {
        let province = resolution.province.map(Node::Province);
        let city = resolution.city.map(Node::City);
        let district = resolution.district.map(Node::District);
        codes.province = province.map(|n| self.regions.code6(n));
        codes.city = city.map(|n| self.regions.code6(n));
        codes.district = district.map(|n| self.regions.code6(n));
        let city_name = resolution
            .city
            .and_then(|c| match self.regions.city_kind(c) {
                CityKind::Normal => Some(self.regions.division(Node::City(c)).name.clone()),
                CityKind::Municipal => {
                    let p = Node::Province(self.regions.city_province(c));
                    Some(self.regions.division(p).name.clone())
                }
                CityKind::DirectCounties => district.map(|d| self.regions.division(d).name.clone()),
            });
        let names = [
            (
                Level::Province,
                province,
                province.map(|n| self.regions.division(n).name.clone()),
            ),
            (Level::City, city, city_name),
            (
                Level::District,
                district,
                district.map(|n| self.regions.division(n).name.clone()),
            ),
        ];
        for (level, node, name) in names {
            let (Some(node), Some(name)) = (node, name) else {
                continue;
            };
            if !whole[level as usize] {
                continue;
            }
            let from_street = mentions
                .iter()
                .any(|m| m.source == Source::Street && m.nodes.contains(&node));
            self.write(level, name, from_street);
        }
    }

    fn write(&mut self, level: Level, name: String, from_street: bool) {
        let field = self.field(level);
        let what = if field.is_empty() && from_street {
            "filled from the street text"
        } else if field.is_empty() {
            "filled from the division table (the only match for the rest of the address)"
        } else if *field != name {
            "wrote the division's full name from the division table"
        } else {
            return;
        };
        *field = name;
        self.fixes.push(Fix::new(field_of(level), what));
    }
}

fn unknown(level: Level) -> Problem {
    let (code, what) = match level {
        Level::Province => (ProblemCode::ProvinceUnknown, "province"),
        Level::City => (ProblemCode::CityUnknown, "city"),
        Level::District => (ProblemCode::DistrictUnknown, "district"),
    };
    let message = format!("the {what} field holds text that is not a name in the division table");
    Problem::new(field_of(level), code, message)
}
