//! From the names found in an address to one province, city and district,
//! or to the reasons there is none. Never a guess.
//!
//! Every name found is a [`Mention`]: the divisions it may stand for. An
//! answer is a complete chain of the table (province, city, district) that
//! holds one division of every mention. One chain: the address is
//! recognised, and levels nobody wrote are filled from it (`西湖区` alone
//! fills `杭州市` and `浙江省` when only one 西湖区 exists). Several chains:
//! the levels they share are filled, and the first level where they part
//! is reported, as ambiguous if a name at that level or below was given
//! (`鼓楼区` alone is in four cities) or as missing if not (`浙江省` alone).
//! No chain: the mentions contradict each other; they are taken from the
//! province down, and each one that no chain can join to those before it
//! is reported (a district not in the given city, two provinces), and
//! nothing is filled.

use super::regions::{Level, Node, Path, Regions};
use super::report::{Field, Problem, ProblemCode};

/// Where a name was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Source {
    /// The province, city or district field.
    Field(Level),
    Street,
}

/// A division name found in one of the address fields or the street.
#[derive(Debug, Clone)]
pub(super) struct Mention {
    pub nodes: Vec<Node>,
    pub source: Source,
}

impl Mention {
    fn fits(&self, path: &Path) -> bool {
        self.nodes.iter().any(|n| path.holds(*n))
    }

    /// The highest level this mention may be at.
    fn shallowest(&self) -> Level {
        self.nodes
            .iter()
            .map(|n| n.level())
            .min()
            .unwrap_or(Level::District)
    }
}

/// What the mentions add up to: the divisions that are certain, and the
/// reasons the rest are not.
#[derive(Debug, Clone, Default)]
pub(super) struct Resolution {
    pub province: Option<usize>,
    pub city: Option<usize>,
    pub district: Option<usize>,
    /// The mentions contradict each other: nothing was filled.
    pub contradiction: bool,
    pub problems: Vec<Problem>,
}

pub(super) fn field_of(level: Level) -> Field {
    match level {
        Level::Province => Field::Province,
        Level::City => Field::City,
        Level::District => Field::District,
    }
}

/// See the module doc.
pub(super) fn resolve(mentions: &[Mention], regions: &Regions) -> Resolution {
    let solutions: Vec<Path> = regions
        .paths()
        .iter()
        .filter(|p| mentions.iter().all(|m| m.fits(p)))
        .copied()
        .collect();
    let Some(first) = solutions.first().copied() else {
        return Resolution {
            contradiction: true,
            problems: diagnose(mentions, regions),
            ..Resolution::default()
        };
    };
    let same = |f: fn(&Path) -> usize| solutions.iter().all(|p| f(p) == f(&first));
    let province = same(|p| p.province).then_some(first.province);
    let city = (province.is_some() && same(|p| p.city)).then_some(first.city);
    let single = solutions.len() == 1;
    let parting = match (province, city, single) {
        (None, _, _) => Some(Level::Province),
        (_, None, _) => Some(Level::City),
        (_, _, false) => Some(Level::District),
        _ => None,
    };
    let problems = match parting {
        None => Vec::new(),
        Some(level) => unresolved(level, deepest(mentions, &solutions), solutions.len()),
    };
    Resolution {
        province,
        city,
        district: if single { first.district } else { None },
        contradiction: false,
        problems,
    }
}

/// The deepest level at which a mention names a division of an answer.
fn deepest(mentions: &[Mention], solutions: &[Path]) -> Option<Level> {
    mentions
        .iter()
        .flat_map(|m| m.nodes.iter())
        .filter(|n| solutions.iter().any(|p| p.holds(**n)))
        .map(|n| n.level())
        .max()
}

/// Why the answers part at `parting`.
fn unresolved(parting: Level, deepest: Option<Level>, answers: usize) -> Vec<Problem> {
    match deepest {
        Some(level) if level >= parting => {
            let (code, message) = match level {
                Level::Province => (
                    ProblemCode::ProvinceAmbiguous,
                    format!("the province name fits {answers} places; write it in full"),
                ),
                Level::City => (
                    ProblemCode::CityAmbiguous,
                    format!("the city name fits {answers} places; add the province"),
                ),
                Level::District => (
                    ProblemCode::DistrictAmbiguous,
                    format!("the district name is in {answers} places; add the city and province"),
                ),
            };
            vec![Problem::new(field_of(level), code, message)]
        }
        _ => [Level::Province, Level::City, Level::District]
            .into_iter()
            .filter(|level| *level >= parting)
            .map(missing)
            .collect(),
    }
}

fn missing(level: Level) -> Problem {
    let (code, what) = match level {
        Level::Province => (ProblemCode::ProvinceMissing, "province"),
        Level::City => (ProblemCode::CityMissing, "city"),
        Level::District => (ProblemCode::DistrictMissing, "district"),
    };
    let message = format!("the {what} is required and could not be found or inferred");
    Problem::new(field_of(level), code, message)
}

/// The mentions that contradict those before them, from the province
/// down. Once a field or the street has contradicted, its deeper names
/// (which follow from the first) are left out rather than reported again.
fn diagnose(mentions: &[Mention], regions: &Regions) -> Vec<Problem> {
    let mut order: Vec<&Mention> = mentions.iter().collect();
    order.sort_by_key(|m| m.shallowest());
    let mut accepted: Vec<&Mention> = Vec::new();
    let mut failed: Vec<Source> = Vec::new();
    let mut problems = Vec::new();
    for mention in order {
        if failed.contains(&mention.source) {
            continue;
        }
        accepted.push(mention);
        let joined = regions
            .paths()
            .iter()
            .any(|p| accepted.iter().all(|m| m.fits(p)));
        if !joined {
            accepted.pop();
            failed.push(mention.source);
            problems.push(conflict(mention, &accepted));
        }
    }
    problems
}

/// How `mention` contradicts the `accepted` ones.
fn conflict(mention: &Mention, accepted: &[&Mention]) -> Problem {
    let level = mention.shallowest();
    let given_at = |l: Level| accepted.iter().any(|m| m.shallowest() == l);
    let source = if mention.source == Source::Street {
        " (the street text names it)"
    } else {
        ""
    };
    let (code, message) = match level {
        Level::Province => (
            ProblemCode::ProvinceConflict,
            "two different provinces were given",
        ),
        Level::City if given_at(Level::City) => {
            (ProblemCode::CityConflict, "two different cities were given")
        }
        Level::City => (
            ProblemCode::CityNotInProvince,
            "the city is not in the given province",
        ),
        Level::District if given_at(Level::District) => (
            ProblemCode::DistrictConflict,
            "two different districts were given",
        ),
        Level::District if given_at(Level::City) => (
            ProblemCode::DistrictNotInCity,
            "the district is not in the given city",
        ),
        Level::District => (
            ProblemCode::DistrictNotInProvince,
            "the district is not in the given province",
        ),
    };
    Problem::new(field_of(level), code, format!("{message}{source}"))
}
