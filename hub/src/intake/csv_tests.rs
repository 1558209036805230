//! The order CSV: good files, and each kind of bad row, data-driven.

use super::csv::{parse, CsvOrder};

const HEADER: &str =
    "platform_order_id,service,paid,name,phone,province,city,district,street,sku,quantity,tags";

fn file(rows: &[&str]) -> Vec<u8> {
    let mut text = String::from(HEADER);
    for row in rows {
        text.push('\n');
        text.push_str(row);
    }
    text.into_bytes()
}

#[test]
fn rows_of_one_order_become_its_lines() {
    let orders = parse(&file(&[
        "A-1,express,true,张三,13812345678,浙江省,杭州市,西湖区,文三路90号,TEA,2,vip;gift",
        "B-1,standard,false,李四,13912345678,浙江省,杭州市,西湖区,文二路1号,TEA,1,",
        "A-1,,,,,,,,,COFFEE,3,",
    ]))
    .expect("parses");
    assert_eq!(orders.len(), 2);
    let CsvOrder::Order { line, body } = &orders[0] else {
        panic!("A-1 rejected: {:?}", orders[0]);
    };
    assert_eq!(*line, 2);
    assert_eq!(body.platform, "csv");
    assert_eq!(body.lines.len(), 2);
    assert_eq!(body.lines[1].quantity, 3);
    assert_eq!(body.tags, ["vip", "gift"]);
    assert!(body.paid);
}

#[test]
fn a_bad_row_rejects_its_order_with_the_line_and_reason() {
    let cases: &[(&str, &str)] = &[
        (
            "A-1,express,true,张三,13812345678,浙江省,杭州市,西湖区,文三路90号,TEA,two,",
            "quantity",
        ),
        (
            "A-1,express,maybe,张三,13812345678,浙江省,杭州市,西湖区,文三路90号,TEA,1,",
            "paid",
        ),
        (
            "A-1,overnight,true,张三,13812345678,浙江省,杭州市,西湖区,文三路90号,TEA,1,",
            "service",
        ),
    ];
    for (row, word) in cases {
        let orders = parse(&file(&[
            "Z-9,standard,true,王五,13712345678,浙江省,杭州市,西湖区,文一路2号,TEA,1,",
            row,
        ]))
        .expect("parses");
        assert!(
            matches!(orders[0], CsvOrder::Order { .. }),
            "the good order stays"
        );
        match &orders[1] {
            CsvOrder::Rejected { line, reason, .. } => {
                assert_eq!(*line, 3);
                assert!(reason.contains(word), "{reason}");
            }
            other => panic!("{row}: accepted {other:?}"),
        }
    }
}

#[test]
fn a_later_row_for_another_customer_rejects_the_order() {
    let orders = parse(&file(&[
        "A-1,express,true,张三,13812345678,浙江省,杭州市,西湖区,文三路90号,TEA,2,",
        "A-1,,,李四,,,,,,COFFEE,1,",
    ]))
    .expect("parses");
    match &orders[0] {
        CsvOrder::Rejected { line, reason, .. } => {
            assert_eq!(*line, 3);
            assert!(reason.contains("another customer"), "{reason}");
            assert!(!reason.contains("李四"), "no personal data in reasons");
        }
        other => panic!("accepted {other:?}"),
    }
}

#[test]
fn a_file_without_the_required_columns_is_refused() {
    let err = parse(b"order,sku\nA-1,TEA\n").expect_err("refused");
    let text = err.to_string();
    assert!(
        text.contains("line 1") && text.contains("platform_order_id"),
        "{text}"
    );
    assert!(parse(b"").is_err(), "an empty file has no header");
}

#[test]
fn orders_to_remote_provinces_are_tagged() {
    let orders = parse(&file(&[
        "R-1,standard,true,王五,13712345678,新疆维吾尔自治区,乌鲁木齐市,天山区,解放路1号,TEA,1,",
    ]))
    .expect("parses");
    let CsvOrder::Order { body, .. } = &orders[0] else {
        panic!("rejected");
    };
    let regions = crate::orders::clean::Regions::empty();
    let order = super::prepare((**body).clone(), &regions).expect("prepared");
    assert_eq!(order.tags, ["remote_region"]);
}
