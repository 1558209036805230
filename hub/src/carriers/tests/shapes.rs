//! Request bodies and answer parsing of both platforms, without sockets:
//! the order key is what the platforms deduplicate by, services map to
//! the right product, phones go to the right field, strict parsing, and
//! no customer data or secret in `Debug` output.

use super::super::{cainiao, sf, CarrierError, Secret, Service};
use super::{request, SECRET};

#[test]
fn sf_order_message_keys_by_our_order_and_maps_the_service() {
    let req = request(42);
    let msg = sf::create_order_msg(
        &req,
        &req.order_key(),
        Service::Standard,
        Some("7551234567"),
    );
    assert_eq!(msg["orderId"], "WMS-42");
    assert_eq!(msg["expressTypeId"], 2);
    assert_eq!(msg["monthlyCard"], "7551234567");
    assert_eq!(msg["cargoDetails"][0]["count"], 2);
    let contacts = msg["contactInfoList"].as_array().expect("contacts");
    assert_eq!(
        (
            contacts[0]["contactType"].as_u64(),
            contacts[1]["contactType"].as_u64()
        ),
        (Some(1), Some(2))
    );
    assert_eq!(
        contacts[0]["tel"], "0755-88886666",
        "a landline goes to tel"
    );
    assert_eq!(
        contacts[1]["mobile"], "13800138000",
        "a mobile goes to mobile"
    );
    assert_eq!(contacts[1]["county"], "南山区");
    let express = sf::create_order_msg(&req, "k", Service::Express, None);
    assert_eq!(express["expressTypeId"], 1);
    assert!(express.get("monthlyCard").is_none());
}

#[test]
fn cainiao_content_keys_by_our_order() {
    let req = request(42);
    let content = cainiao::waybill_get_content(&req, &req.order_key(), "ZTO", &Default::default());
    let dto = &content["tradeOrderInfoDtos"][0];
    assert_eq!(content["cpCode"], "ZTO");
    assert_eq!(dto["objectId"], "WMS-42");
    assert_eq!(dto["orderInfo"]["tradeOrderList"][0], "WMS-42");
    assert_eq!(dto["packageInfo"]["id"], "42");
    assert_eq!(dto["recipient"]["address"]["detail"], "科技园路 1 号 3 栋");
    assert_eq!(content["sender"]["phone"], "0755-88886666");
}

#[test]
fn answers_are_parsed_strictly() {
    let sf_ok = r#"{"apiResultCode":"A1000","apiResultData":{"success":true,"msgData":
        {"waybillNoInfoList":[{"waybillType":2,"waybillNo":"SUB1"},{"waybillType":1,"waybillNo":"SF1"}]}}}"#;
    let data = sf::parse_answer(sf_ok).expect("object apiResultData is accepted too");
    assert_eq!(data["waybillNoInfoList"][1]["waybillNo"], "SF1");
    let sf_no_data = r#"{"apiResultCode":"A1000","apiResultData":"{\"success\":true}"}"#;
    assert!(matches!(
        sf::parse_answer(sf_no_data),
        Err(CarrierError::Malformed(_))
    ));
    let sf_busy = r#"{"apiResultCode":"A1099","apiErrorMsg":"系统异常"}"#;
    assert!(matches!(
        sf::parse_answer(sf_busy),
        Err(CarrierError::Busy { .. })
    ));

    let ours = r#"{"success":true,"waybillCloudPrintResponseList":[
        {"objectId":"WMS-1","waybillCode":"A1"},{"objectId":"WMS-2","waybillCode":"B2"}]}"#;
    assert_eq!(cainiao::parse_answer(ours, "WMS-2"), Ok("B2".to_owned()));
    let numeric = r#"{"success":"true","waybillCloudPrintResponseList":[{"objectId":12,"waybillCode":"C3"}]}"#;
    assert_eq!(cainiao::parse_answer(numeric, "WMS-2"), Ok("C3".to_owned()));
    for bad in [r#"{"success":"true"}"#, r#"{"success":"false"}"#, "[]"] {
        assert!(
            matches!(
                cainiao::parse_answer(bad, "k"),
                Err(CarrierError::Malformed(_))
            ),
            "{bad}"
        );
    }
}

#[test]
fn debug_output_keeps_customer_data_and_secrets_out() {
    let req = request(1);
    let shown = format!("{req:?}");
    for private in ["张三", "13800138000", "科技园路"] {
        assert!(!shown.contains(private), "{shown}");
    }
    let secret = Secret::new(SECRET);
    assert!(!format!("{secret:?}").contains(SECRET));
}
