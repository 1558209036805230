//! Table-driven tests of the `~HS` parser: real-format answers in, flags
//! and problems out; malformed answers in, the precise error out.

use super::status::{answer_complete, parse_host_status, HostStatus, PrinterProblem, StatusError};

/// Builds an answer the way a printer frames it.
fn answer(one: &str, two: &str, three: &str) -> Vec<u8> {
    format!("\x02{one}\x03\r\n\x02{two}\x03\r\n\x02{three}\x03\r\n").into_bytes()
}

const OK_1: &str = "030,0,0,1218,000,0,0,0,000,0,0,0";
const OK_2: &str = "000,0,0,0,1,2,6,0,00000000,1,000";
const OK_3: &str = "1234,0";

use PrinterProblem::{
    BufferFull, CorruptRam, HeadOpen, OverTemperature, PaperOut, Paused, RibbonOut,
    UnderTemperature,
};

/// String 1, string 2, and the problems they must show, first first.
const FLAG_CASES: &[(&str, &str, &[PrinterProblem])] = &[
    (OK_1, OK_2, &[]),
    ("030,1,0,1218,000,0,0,0,000,0,0,0", OK_2, &[PaperOut]),
    ("030,0,1,1218,000,0,0,0,000,0,0,0", OK_2, &[Paused]),
    (OK_1, "000,0,1,0,1,2,6,0,00000000,1,000", &[HeadOpen]),
    (OK_1, "000,0,0,1,1,2,6,0,00000000,1,000", &[RibbonOut]),
    ("030,0,0,1218,000,1,0,0,000,0,0,0", OK_2, &[BufferFull]),
    ("030,0,0,1218,000,0,0,0,000,1,0,0", OK_2, &[CorruptRam]),
    (
        "030,0,0,1218,000,0,0,0,000,0,1,0",
        OK_2,
        &[UnderTemperature],
    ),
    ("030,0,0,1218,000,0,0,0,000,0,0,1", OK_2, &[OverTemperature]),
    // Paper out usually pauses the printer too: the paper is the reason.
    (
        "030,1,1,1218,000,0,0,0,000,0,0,0",
        OK_2,
        &[PaperOut, Paused],
    ),
    // An open head comes before everything.
    (
        "030,1,1,1218,000,0,0,0,000,0,0,0",
        "000,0,1,1,1,2,6,0,00000000,1,000",
        &[HeadOpen, PaperOut, RibbonOut, Paused],
    ),
    // Busy is not a problem: formats queued, labels left, one waiting.
    (
        "030,0,0,1218,003,0,0,1,000,0,0,0",
        "000,0,0,0,0,1,6,1,00000017,1,002",
        &[],
    ),
];

#[test]
fn real_format_answers_parse_to_their_problems() {
    for (i, (one, two, problems)) in FLAG_CASES.iter().enumerate() {
        let status =
            parse_host_status(&answer(one, two, OK_3)).unwrap_or_else(|e| panic!("case {i}: {e}"));
        assert_eq!(status.problems(), *problems, "case {i}: {status:?}");
        assert_eq!(status.problem(), problems.first().copied(), "case {i}");
    }
}

#[test]
fn numbers_and_quiet_flags_are_read() {
    let busy = answer(
        "030,0,0,1218,003,0,1,1,000,0,0,0",
        "000,0,0,0,0,1,6,1,00000017,1,002",
        OK_3,
    );
    let status = parse_host_status(&busy).expect("parses");
    let expected = HostStatus {
        label_length_dots: 1218,
        formats_in_buffer: 3,
        diagnostic_mode: true,
        partial_format: true,
        print_mode: 1,
        label_waiting: true,
        labels_remaining: 17,
        graphics_stored: 2,
        ..HostStatus::default()
    };
    assert_eq!(status, expected);
    let ok = parse_host_status(&answer(OK_1, OK_2, OK_3)).expect("parses");
    assert!(ok.thermal_transfer && ok.print_mode == 2);
}

#[test]
fn a_sample_with_several_flags_parses() {
    // A sample in the guide's format with several flags at once and a batch
    // under way (paper out, paused, ribbon out, 100 labels left).
    let raw = b"\x02030,1,1,1225,000,0,0,0,000,0,0,0\x03\r\n\x02001,0,0,1,1,2,6,0,00000100,1,000\x03\r\n\x021234,0\x03\r\n";
    let status = parse_host_status(raw).expect("sample parses");
    assert!(status.paper_out && status.paused && status.ribbon_out);
    assert_eq!(status.labels_remaining, 100);
    assert_eq!(
        status.problems(),
        [
            PrinterProblem::PaperOut,
            PrinterProblem::RibbonOut,
            PrinterProblem::Paused
        ]
    );
}

#[test]
fn whitespace_around_and_between_frames_is_tolerated() {
    let raw = format!("\r\n  \x02{OK_1}\x03\n\x02{OK_2}\x03 \x02{OK_3}\x03\r\n\r\n");
    let status = parse_host_status(raw.as_bytes()).expect("parses");
    assert_eq!(status.problem(), None);
}

/// Strings 1 to 3 with one bad field, and the error they must give.
const FIELD_CASES: &[(&str, &str, &str, StatusError)] = &[
    (
        "030,0,0,1218,000,0,0,0,000,0,0",
        OK_2,
        OK_3,
        StatusError::FieldCount {
            line: 1,
            expected: 12,
            found: 11,
        },
    ),
    (
        OK_1,
        "000,0,0,0,1,2,6,0,00000000,1,000,7",
        OK_3,
        StatusError::FieldCount {
            line: 2,
            expected: 11,
            found: 12,
        },
    ),
    (
        OK_1,
        OK_2,
        "1234",
        StatusError::FieldCount {
            line: 3,
            expected: 2,
            found: 1,
        },
    ),
    (
        "030,x,0,1218,000,0,0,0,000,0,0,0",
        OK_2,
        OK_3,
        StatusError::NotANumber { line: 1, field: 2 },
    ),
    (
        "030,0,0,12 8,000,0,0,0,000,0,0,0",
        OK_2,
        OK_3,
        StatusError::NotANumber { line: 1, field: 4 },
    ),
    (
        OK_1,
        "000,0,0,0,1,2,6,0,,1,000",
        OK_3,
        StatusError::NotANumber { line: 2, field: 9 },
    ),
    (
        OK_1,
        "000,0,0,0,1,2,6,0,99999999999,1,000",
        OK_3,
        StatusError::NotANumber { line: 2, field: 9 },
    ),
    (
        OK_1,
        OK_2,
        "12a4,0",
        StatusError::NotANumber { line: 3, field: 1 },
    ),
    (
        "030,2,0,1218,000,0,0,0,000,0,0,0",
        OK_2,
        OK_3,
        StatusError::NotAFlag { line: 1, field: 2 },
    ),
    (
        OK_1,
        "000,0,7,0,1,2,6,0,00000000,1,000",
        OK_3,
        StatusError::NotAFlag { line: 2, field: 3 },
    ),
];

#[test]
fn bad_fields_give_their_error() {
    for (i, (one, two, three, expected)) in FIELD_CASES.iter().enumerate() {
        let raw = answer(one, two, three);
        assert_eq!(parse_host_status(&raw).as_ref(), Err(expected), "case {i}");
    }
}

#[test]
fn bad_framing_gives_its_error() {
    let full = answer(OK_1, OK_2, OK_3);
    let cases: Vec<(Vec<u8>, StatusError)> = vec![
        (b"".to_vec(), StatusError::Empty),
        (b" \r\n ".to_vec(), StatusError::Empty),
        (
            full[..full.len() - 4].to_vec(),
            StatusError::MissingEtx { line: 3 },
        ),
        (full[..40].to_vec(), StatusError::MissingEtx { line: 2 }),
        (
            full[..full.len() - 10].to_vec(),
            StatusError::TooFewLines { found: 2 },
        ),
        (
            format!("{OK_1}\x03").into_bytes(),
            StatusError::MissingStx { line: 1 },
        ),
        (
            b"HTTP/1.1 400 Bad Request\r\n".to_vec(),
            StatusError::MissingStx { line: 1 },
        ),
        (
            [full.clone(), b"\x021234,0\x03".to_vec()].concat(),
            StatusError::TooManyLines,
        ),
    ];
    for (i, (raw, expected)) in cases.iter().enumerate() {
        let text = String::from_utf8_lossy(raw);
        assert_eq!(
            parse_host_status(raw).as_ref(),
            Err(expected),
            "case {i}: {text:?}"
        );
    }
}

#[test]
fn answer_complete_waits_for_the_third_etx() {
    let full = answer(OK_1, OK_2, OK_3);
    let last_etx = full.len() - 3;
    assert!(!answer_complete(&full[..last_etx]));
    assert!(answer_complete(&full[..=last_etx]));
}

#[test]
fn reason_words_are_stable() {
    let words: Vec<&str> = [
        PrinterProblem::HeadOpen,
        PrinterProblem::PaperOut,
        PrinterProblem::RibbonOut,
        PrinterProblem::Paused,
        PrinterProblem::BufferFull,
        PrinterProblem::OverTemperature,
        PrinterProblem::UnderTemperature,
        PrinterProblem::CorruptRam,
    ]
    .iter()
    .map(|p| p.as_str())
    .collect();
    assert_eq!(
        words,
        [
            "head_open",
            "paper_out",
            "ribbon_out",
            "paused",
            "buffer_full",
            "over_temperature",
            "under_temperature",
            "corrupt_ram"
        ]
    );
}
