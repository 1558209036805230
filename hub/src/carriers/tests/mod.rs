//! The adapters against the fake platform over real loopback HTTP, for
//! both shapes: waybills, idempotency, retries, refusals, timeouts and bad
//! answers. [`shapes`] checks request bodies and answer parsing without
//! sockets.

mod shapes;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::fake::{FakePlatform, Fault, Shape};
use super::retry::{with_retries, RetryPolicy};
use super::{Carrier, CarrierConfig, CarrierError, Party, WaybillRequest};

const SECRET: &str = "check-word-123";
const SHAPES: [Shape; 2] = [Shape::Sf, Shape::Cainiao];

pub(super) fn party(name: &str, phone: &str) -> Party {
    Party {
        name: name.into(),
        phone: phone.into(),
        country: "CN".into(),
        province: "广东省".into(),
        city: "深圳市".into(),
        district: "南山区".into(),
        street: "科技园路 1 号 3 栋".into(),
        postal_code: "518057".into(),
    }
}

pub(super) fn request(order_id: u64) -> WaybillRequest {
    WaybillRequest {
        order_id,
        order_ref: format!("TB{order_id}"),
        service: "express".into(),
        sender: party("仓库", "0755-88886666"),
        recipient: party("张三", "13800138000"),
        items: 2,
    }
}

/// The adapter for `fake`, built the way the hub builds it: from config.
fn carrier(fake: &FakePlatform, shape: Shape, secret: &str) -> Box<dyn Carrier> {
    let (kind, extra) = match shape {
        Shape::Sf => ("sf", ""),
        Shape::Cainiao => ("cainiao", r#","cp_code":"ZTO""#),
    };
    let json = format!(
        r#"{{"kind":"{kind}","url":"{}","account":"WMS1","secret_env":"S","timeout_ms":200{extra}}}"#,
        fake.url()
    );
    let config: CarrierConfig = serde_json::from_str(&json).expect("test config parses");
    config
        .build_with(|_| Some(secret.to_owned()))
        .expect("test config builds")
}

fn start(shape: Shape) -> FakePlatform {
    FakePlatform::start(shape, SECRET).expect("fake platform starts")
}

/// Three attempts, tiny backoff, sleeps only recorded.
fn quick_policy() -> (RetryPolicy, Arc<Mutex<Vec<Duration>>>) {
    let slept = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&slept);
    let policy = RetryPolicy::new(3, Duration::from_millis(50), Duration::from_millis(100))
        .with_sleeper(Arc::new(move |d| log.lock().expect("test lock").push(d)));
    (policy, slept)
}

#[test]
fn a_waybill_comes_back() {
    for shape in SHAPES {
        let fake = start(shape);
        let waybill = carrier(&fake, shape, SECRET)
            .request_waybill(&request(1))
            .expect("waybill");
        assert!(!waybill.tracking.is_empty(), "{shape:?}");
        assert_eq!(
            waybill.carrier,
            if shape == Shape::Sf { "sf" } else { "cainiao" }
        );
        assert_eq!(fake.issued(), 1);
    }
}

#[test]
fn the_same_order_twice_gives_the_same_number() {
    for shape in SHAPES {
        let fake = start(shape);
        let carrier = carrier(&fake, shape, SECRET);
        let first = carrier.request_waybill(&request(7)).expect("first");
        let again = carrier.request_waybill(&request(7)).expect("again");
        let other = carrier.request_waybill(&request(8)).expect("other order");
        assert_eq!(first, again, "{shape:?}");
        assert_ne!(first.tracking, other.tracking, "{shape:?}");
        assert_eq!(fake.issued(), 2, "{shape:?}");
    }
}

#[test]
fn sf_reads_the_waybill_back_when_a_repeat_is_refused_as_duplicate() {
    let fake = start(Shape::Sf);
    fake.refuse_duplicates(true);
    let carrier = carrier(&fake, Shape::Sf, SECRET);
    let first = carrier.request_waybill(&request(9)).expect("first");
    let again = carrier
        .request_waybill(&request(9))
        .expect("again, via the search service");
    assert_eq!(first, again);
    assert_eq!(fake.requests(), 3, "create, refused create, search");
}

#[test]
fn two_500s_then_success_gives_the_number_after_retries() {
    for shape in SHAPES {
        let fake = start(shape);
        fake.fail_next(2);
        let carrier = carrier(&fake, shape, SECRET);
        let (policy, slept) = quick_policy();
        let got = with_retries(&policy, "waybill", || carrier.request_waybill(&request(3)));
        assert!(got.is_ok(), "{shape:?}: {got:?}");
        assert_eq!(fake.requests(), 3);
        assert_eq!(slept.lock().expect("test lock").len(), 2);
    }
}

#[test]
fn a_lost_answer_retried_gets_the_number_already_issued() {
    for shape in SHAPES {
        let fake = start(shape);
        fake.push(Fault::LoseAnswer, 1);
        let carrier = carrier(&fake, shape, SECRET);
        let (policy, _) = quick_policy();
        let got = with_retries(&policy, "waybill", || carrier.request_waybill(&request(5)));
        let later = carrier.request_waybill(&request(5)).expect("asked again");
        assert_eq!(got, Ok(later), "{shape:?}");
        assert_eq!(fake.issued(), 1, "{shape:?}: one waybill, not two");
    }
}

#[test]
fn a_refusal_is_not_retried_and_carries_code_and_message() {
    for shape in SHAPES {
        let fake = start(shape);
        fake.refuse_next("1010", "收件人地址不详");
        let carrier = carrier(&fake, shape, SECRET);
        let (policy, slept) = quick_policy();
        let got = with_retries(&policy, "waybill", || carrier.request_waybill(&request(4)));
        let want = CarrierError::Refused {
            code: "1010".into(),
            message: "收件人地址不详".into(),
        };
        assert_eq!(got, Err(want), "{shape:?}");
        assert_eq!(fake.requests(), 1);
        assert!(slept.lock().expect("test lock").is_empty());
    }
}

#[test]
fn a_busy_platform_is_retried() {
    for (shape, code) in [(Shape::Sf, "A1099"), (Shape::Cainiao, "S07")] {
        let fake = start(shape);
        fake.refuse_next(code, "系统繁忙");
        let carrier = carrier(&fake, shape, SECRET);
        let (policy, _) = quick_policy();
        let got = with_retries(&policy, "waybill", || carrier.request_waybill(&request(6)));
        assert!(got.is_ok(), "{shape:?}: {got:?}");
        assert_eq!(fake.requests(), 2);
    }
}

#[test]
fn a_wrong_secret_is_refused_by_the_digest_check() {
    for (shape, code) in [(Shape::Sf, "A1006"), (Shape::Cainiao, "S02")] {
        let fake = start(shape);
        let got = carrier(&fake, shape, "not-the-secret").request_waybill(&request(1));
        assert!(
            matches!(&got, Err(CarrierError::Refused { code: c, .. }) if c == code),
            "{got:?}"
        );
        assert_eq!(fake.issued(), 0);
    }
}

#[test]
fn a_hanging_platform_surfaces_as_timeout_after_the_attempts() {
    for shape in SHAPES {
        let fake = start(shape);
        fake.hang_next(3);
        let carrier = carrier(&fake, shape, SECRET);
        let (policy, _) = quick_policy();
        let started = Instant::now();
        let got = with_retries(&policy, "waybill", || carrier.request_waybill(&request(2)));
        assert_eq!(got, Err(CarrierError::Timeout), "{shape:?}");
        assert_eq!(fake.requests(), 3);
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
    }
}

#[test]
fn a_garbage_body_is_malformed() {
    for shape in SHAPES {
        let fake = start(shape);
        fake.push(Fault::Garbage, 1);
        let got = carrier(&fake, shape, SECRET).request_waybill(&request(1));
        assert!(
            matches!(got, Err(CarrierError::Malformed(_))),
            "{shape:?}: {got:?}"
        );
    }
}

#[test]
fn unusable_tracking_numbers_are_refused() {
    let forty = "A".repeat(40);
    let cases = [
        ("SF 1234 5678", Err(CarrierError::BadTracking { len: 12 })),
        (&*"7".repeat(41), Err(CarrierError::BadTracking { len: 41 })),
        ("SF12-34", Err(CarrierError::BadTracking { len: 7 })),
        ("顺丰123", Err(CarrierError::BadTracking { len: 5 })),
        (&*forty, Ok(forty.clone())),
    ];
    for shape in SHAPES {
        let fake = start(shape);
        let carrier = carrier(&fake, shape, SECRET);
        for (tracking, want) in &cases {
            fake.push(Fault::Tracking((*tracking).to_owned()), 1);
            let got = carrier.request_waybill(&request(1)).map(|w| w.tracking);
            assert_eq!(&got, want, "{shape:?} {tracking:?}");
        }
    }
}

#[test]
fn an_unreachable_platform_is_a_retryable_connect_error() {
    let url = {
        let fake = start(Shape::Sf);
        fake.url()
    }; // dropped: the port is closed now
    let json =
        format!(r#"{{"kind":"sf","url":"{url}","account":"W","secret_env":"S","timeout_ms":200}}"#);
    let config: CarrierConfig = serde_json::from_str(&json).expect("parses");
    let carrier = config.build_with(|_| Some(SECRET.into())).expect("builds");
    let got = carrier.request_waybill(&request(1));
    assert!(
        matches!(&got, Err(e @ CarrierError::Connect(_)) if e.retryable()),
        "{got:?}"
    );
}

#[test]
fn a_bad_request_is_refused_before_anything_is_sent() {
    let fake = start(Shape::Sf);
    let carrier = carrier(&fake, Shape::Sf, SECRET);
    let mut bad_service = request(1);
    bad_service.service = "overnight".into();
    let mut no_street = request(1);
    no_street.recipient.street = " ".into();
    let mut no_items = request(1);
    no_items.items = 0;
    for req in [bad_service, no_street, no_items] {
        let got = carrier.request_waybill(&req);
        assert!(
            matches!(got, Err(CarrierError::BadRequest { .. })),
            "{got:?}"
        );
    }
    assert_eq!(fake.requests(), 0);
}
