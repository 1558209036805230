//! Finding division names at the start of a piece of address text, the
//! way a person reads `浙江省杭州市西湖区文三路90号`: the longest name
//! in the table at each point, then the next, skipping separators and a
//! leading `中国`.
//!
//! In a province, city or district field every name found counts. In the
//! street, which is free text, a name can also be the start of a road
//! (`北京路`, `中山路`, `江苏路`, `余杭塘路` in 杭州市), so only full names
//! of three or more characters count on their own. A two-character full
//! name (`城区`, `忠县`) counts next to a counted name it belongs with:
//! right after its parent (`阳泉市城区`) or right before its child. A short
//! name (`北京`, `杭州`, `余杭`) counts only right before a counted child
//! (`北京朝阳区`, `浙江杭州西湖区`), never as the last name: `杭州市余杭塘路`
//! keeps its road. The counted names must be a run at the very start of
//! the street; that run is what the street loses once the address is
//! recognised.

use super::regions::{Entry, Node, Regions};

/// Characters that may separate division names.
const SEPARATORS: &[char] = &[' ', ',', '，', '、', '/', '-', '·', ';', '；', '|'];

/// Words before the province that say nothing.
const COUNTRY_WORDS: &[&str] = &["中华人民共和国", "中国大陆", "中国"];

/// How much a name found in free text says on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Strength {
    /// A full name of three or more characters.
    Full,
    /// A full name of two characters.
    TwoChars,
    /// Only a short name.
    Short,
}

/// One name found: the divisions it may be, and where it ends (bytes).
#[derive(Debug, Clone)]
pub(super) struct Hit {
    pub nodes: Vec<Node>,
    pub strength: Strength,
    pub end: usize,
}

fn skip_separators(text: &str, from: usize) -> usize {
    let rest = &text[from..];
    from + (rest.len() - rest.trim_start_matches(SEPARATORS).len())
}

/// The longest name at `pos`: where it ends and what it stands for.
fn longest_at<'r>(text: &str, pos: usize, regions: &'r Regions) -> Option<(usize, &'r [Entry])> {
    let rest = &text[pos..];
    let ends: Vec<usize> = rest
        .char_indices()
        .map(|(i, c)| i + c.len_utf8())
        .take(regions.longest_name())
        .collect();
    ends.iter().rev().find_map(|&end| {
        let entries = regions.lookup(&rest[..end]);
        (!entries.is_empty()).then_some((pos + end, entries))
    })
}

/// Every name from the start of `text`, greedily; and where the scan
/// stopped (bytes, after any separators).
fn scan(text: &str, regions: &Regions) -> (Vec<Hit>, usize) {
    let mut pos = skip_separators(text, 0);
    if let Some(word) = COUNTRY_WORDS.iter().find(|w| text[pos..].starts_with(**w)) {
        pos = skip_separators(text, pos + word.len());
    }
    let mut hits = Vec::new();
    // Province, city, district, and the municipality written twice: more
    // than six names in a row is not an address prefix.
    while hits.len() < 6 {
        let Some((end, entries)) = longest_at(text, pos, regions) else {
            break;
        };
        let strength = if entries.iter().all(|e| e.short) {
            Strength::Short
        } else if text[pos..end].chars().count() <= 2 {
            Strength::TwoChars
        } else {
            Strength::Full
        };
        let nodes = entries.iter().map(|e| e.node).collect();
        hits.push(Hit {
            nodes,
            strength,
            end,
        });
        pos = skip_separators(text, end);
    }
    (hits, pos)
}

/// The names in a province, city or district field, and whether they
/// make up the whole field.
pub(super) fn field_hits(text: &str, regions: &Regions) -> (Vec<Hit>, bool) {
    let (hits, stop) = scan(text, regions);
    (hits, stop == text.len())
}

/// Whether some division of `child` lies inside some division of `parent`.
fn belongs(regions: &Regions, child: &Hit, parent: &Hit) -> bool {
    child
        .nodes
        .iter()
        .any(|c| parent.nodes.iter().any(|p| regions.is_below(*c, *p)))
}

/// The names that count at the start of a street (see the module doc),
/// and how many bytes of the street they and their separators take.
pub(super) fn street_prefix(text: &str, regions: &Regions) -> (Vec<Hit>, usize) {
    let (mut hits, _) = scan(text, regions);
    let mut counted: Vec<bool> = hits.iter().map(|h| h.strength == Strength::Full).collect();
    let mut changed = true;
    while changed {
        changed = false;
        for i in 0..hits.len() {
            if counted[i] {
                continue;
            }
            let after_parent = hits[i].strength == Strength::TwoChars
                && i > 0
                && counted[i - 1]
                && belongs(regions, &hits[i], &hits[i - 1]);
            let before_child =
                i + 1 < hits.len() && counted[i + 1] && belongs(regions, &hits[i + 1], &hits[i]);
            if after_parent || before_child {
                counted[i] = true;
                changed = true;
            }
        }
    }
    let run = counted.iter().take_while(|c| **c).count();
    hits.truncate(run);
    let used = hits.last().map_or(0, |h| skip_separators(text, h.end));
    (hits, used)
}
