//! The three adapters against the fake platform over real loopback HTTP,
//! built from configuration the way the hub builds them: a confirmation,
//! a repeat acknowledged, 500s retryable, refusals not, a wrong secret
//! refused, a hang a timeout, garbage malformed; and the outbox driven by
//! real answers.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::fake::{FakePlatform, Fault, Shape};
use super::{Outbox, Platform, PlatformConfig, Shipment, WritebackError};

const SECRET: &str = "app-secret-123";
const SHAPES: [Shape; 3] = [Shape::Taobao, Shape::Jd, Shape::Shopee];

fn name(shape: Shape) -> &'static str {
    match shape {
        Shape::Taobao => "taobao",
        Shape::Jd => "jd",
        Shape::Shopee => "shopee",
    }
}

fn start(shape: Shape) -> FakePlatform {
    FakePlatform::start(shape, SECRET).expect("fake platform starts")
}

/// The adapter for `fake`, from configuration, signing with `secret`.
fn adapter(fake: &FakePlatform, shape: Shape, secret: &str) -> Box<dyn Platform> {
    let ids = match shape {
        Shape::Shopee => r#""partner_id":2001887,"shop_id":14701711"#,
        _ => r#""app_key":"12345678""#,
    };
    let json = format!(
        r#"{{"platform":"{}","url":"{}",{ids},"secret_env":"S","access_token_env":"T","timeout_ms":200}}"#,
        name(shape),
        fake.url()
    );
    let config: PlatformConfig = serde_json::from_str(&json).expect("test config parses");
    let env: BTreeMap<&str, String> =
        BTreeMap::from([("S", secret.to_owned()), ("T", "token 59777174".to_owned())]);
    config
        .build_with(|var| env.get(var).cloned())
        .expect("test config builds")
}

fn shipment(shape: Shape, order: &str, tracking: &str) -> Shipment {
    Shipment {
        platform: name(shape).into(),
        platform_order_id: order.into(),
        carrier: "sf".into(),
        tracking: tracking.into(),
    }
}

#[test]
fn each_platform_confirms_a_shipment() {
    for shape in SHAPES {
        let fake = start(shape);
        let platform = adapter(&fake, shape, SECRET);
        assert_eq!(platform.name(), name(shape));
        let got = platform.confirm_shipment(&shipment(shape, "2001", "SF1234567890"));
        assert_eq!(got, Ok(()), "{shape:?}");
        let want = vec![("2001".to_owned(), "SF1234567890".to_owned())];
        assert_eq!(fake.confirmed(), want, "{shape:?}");
    }
}

#[test]
fn a_repeat_is_acknowledged_as_already_shipped() {
    for shape in SHAPES {
        let fake = start(shape);
        let platform = adapter(&fake, shape, SECRET);
        let s = shipment(shape, "2002", "SF1");
        assert_eq!(platform.confirm_shipment(&s), Ok(()));
        let again = platform.confirm_shipment(&s);
        assert_eq!(again, Err(WritebackError::AlreadyShipped), "{shape:?}");
        assert!(again.err().is_some_and(|e| e.acknowledged()));
        assert_eq!(
            fake.requests(),
            3,
            "{shape:?}: ship, refused ship, read-back"
        );
    }
}

#[test]
fn shipped_with_another_number_stays_a_refusal() {
    for shape in SHAPES {
        let fake = start(shape);
        let platform = adapter(&fake, shape, SECRET);
        assert_eq!(
            platform.confirm_shipment(&shipment(shape, "2003", "SF1")),
            Ok(())
        );
        let other = platform.confirm_shipment(&shipment(shape, "2003", "SF2"));
        assert!(
            matches!(&other, Err(e @ WritebackError::Refused { .. }) if !e.retryable()),
            "{shape:?}: {other:?}"
        );
    }
}

#[test]
fn a_500_is_retryable() {
    for shape in SHAPES {
        let fake = start(shape);
        fake.fail_next(1);
        let platform = adapter(&fake, shape, SECRET);
        let got = platform.confirm_shipment(&shipment(shape, "2004", "SF1"));
        // Shopee's 500 carries a JSON `error`, read as busy; the others'
        // is the status alone.
        let want = match shape {
            Shape::Shopee => WritebackError::Busy {
                code: "internal".into(),
                message: String::new(),
            },
            _ => WritebackError::HttpStatus(500),
        };
        assert_eq!(got, Err(want), "{shape:?}");
        assert!(got.err().is_some_and(|e| e.retryable()));
        assert_eq!(
            platform.confirm_shipment(&shipment(shape, "2004", "SF1")),
            Ok(())
        );
    }
}

#[test]
fn a_refusal_is_not_retryable_and_keeps_its_code() {
    for shape in SHAPES {
        let fake = start(shape);
        fake.refuse_next("isv.invalid-company", "bad company");
        let platform = adapter(&fake, shape, SECRET);
        let got = platform.confirm_shipment(&shipment(shape, "2005", "SF1"));
        let Err(WritebackError::Refused { code, message }) = &got else {
            panic!("{shape:?}: {got:?}");
        };
        assert_eq!(code, "isv.invalid-company", "{shape:?}");
        assert!(message.contains("bad company"), "{shape:?}: {message}");
        assert!(!got.err().is_some_and(|e| e.retryable()));
        assert!(fake.confirmed().is_empty());
    }
}

#[test]
fn a_wrong_secret_is_refused() {
    for shape in SHAPES {
        let fake = start(shape);
        let platform = adapter(&fake, shape, "not-the-secret");
        let got = platform.confirm_shipment(&shipment(shape, "2006", "SF1"));
        assert!(
            matches!(got, Err(WritebackError::Refused { .. })),
            "{shape:?}: {got:?}"
        );
        assert!(fake.confirmed().is_empty());
    }
}

#[test]
fn a_hang_is_a_timeout() {
    for shape in SHAPES {
        let fake = start(shape);
        fake.hang_next(1);
        let platform = adapter(&fake, shape, SECRET);
        let started = Instant::now();
        let got = platform.confirm_shipment(&shipment(shape, "2007", "SF1"));
        assert_eq!(got, Err(WritebackError::Timeout), "{shape:?}");
        assert!(started.elapsed() < Duration::from_secs(2));
    }
}

#[test]
fn garbage_is_malformed() {
    for shape in SHAPES {
        let fake = start(shape);
        fake.push(Fault::Garbage, 1);
        let platform = adapter(&fake, shape, SECRET);
        let got = platform.confirm_shipment(&shipment(shape, "2008", "SF1"));
        assert!(
            matches!(got, Err(WritebackError::Malformed(_))),
            "{shape:?}: {got:?}"
        );
    }
}

#[test]
fn a_transient_read_back_failure_is_retried_not_parked() {
    let fake = start(Shape::Taobao);
    let platform = adapter(&fake, Shape::Taobao, SECRET);
    let s = shipment(Shape::Taobao, "2009", "SF1");
    assert_eq!(platform.confirm_shipment(&s), Ok(()));
    // The repeat is refused; the read-back after it gets a 500.
    fake.refuse_next("x", "");
    fake.fail_next(1);
    let got = platform.confirm_shipment(&s);
    assert_eq!(got, Err(WritebackError::HttpStatus(500)));
}

#[test]
fn bad_shipments_and_unknown_carriers_send_nothing() {
    let fake = start(Shape::Jd);
    let platform = adapter(&fake, Shape::Jd, SECRET);
    let mut unknown = shipment(Shape::Jd, "2010", "ZT1");
    unknown.carrier = "zto".into();
    let mut wrong_platform = shipment(Shape::Jd, "2010", "SF1");
    wrong_platform.platform = "taobao".into();
    let spaced = shipment(Shape::Jd, "20 10", "SF1");
    for s in [unknown, wrong_platform, spaced] {
        let got = platform.confirm_shipment(&s);
        assert!(matches!(got, Err(WritebackError::Config(_))), "{got:?}");
    }
    assert_eq!(fake.requests(), 0);
}

#[test]
fn the_outbox_drains_through_a_flaky_platform() {
    let fake = start(Shape::Shopee);
    let platform = adapter(&fake, Shape::Shopee, SECRET);
    let mut outbox = Outbox::new();
    for order in 1..=3u64 {
        let s = shipment(Shape::Shopee, &format!("SN{order}"), &format!("SPX{order}"));
        outbox.add(order, s, 0);
    }
    fake.fail_next(2);
    let mut now = 0;
    for _ in 0..10 {
        for pending in outbox.due(now) {
            let outcome = platform.confirm_shipment(&pending.shipment);
            outbox.record(pending.order, &outcome, now);
        }
        now += 60_000;
    }
    assert!(
        outbox.is_empty(),
        "{:?}",
        outbox.entries().collect::<Vec<_>>()
    );
    assert_eq!(fake.confirmed().len(), 3);
}
