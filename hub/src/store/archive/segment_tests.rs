use super::*;
use protocol::{Movement, MovementKind};

fn event(device: &str, seq: u64) -> EventRecord {
    EventRecord {
        device: device.into(),
        epoch: 3,
        applied_ms: 9,
        movements: vec![Movement {
            seq,
            kind: MovementKind::Receive,
            sku: "S".into(),
            location: "A".into(),
            to_location: None,
            lot: Some("L1".into()),
            quantity: 2,
            device_time_ms: 0,
            task: None,
        }],
    }
}

#[test]
fn names_sort_by_id_and_only_segment_names_parse() {
    let name = SegmentName { first: 9, last: 12 };
    assert_eq!(
        name.file_name(),
        "00000000000000000009-00000000000000000012.seg"
    );
    assert_eq!(SegmentName::parse(&name.file_name()), Some(name));
    for bad in [
        "9-12.seg",
        "00000000000000000009-00000000000000000012.tmp",
        "0000000000000000000x-00000000000000000012.seg",
        "00000000000000000009_00000000000000000012.seg",
        "",
    ] {
        assert_eq!(SegmentName::parse(bad), None, "{bad}");
    }
}

#[test]
fn a_segment_reads_back_as_written_and_a_cut_one_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let name = SegmentName { first: 5, last: 7 };
    let path = dir.path().join(name.file_name());
    let mut out = SegmentWriter::create(path.clone(), name.clone()).expect("create");
    let events: Vec<EventRecord> = (1..=3).map(|s| event("d1", s)).collect();
    assert!(out.entry(4, &events[0]).is_err(), "ids must start at first");
    for (i, e) in events.iter().enumerate() {
        out.entry(5 + i as u64, e).expect("entry");
    }
    let checkpoint = Checkpoint {
        through: 7,
        movements: 3,
        stock: vec![(
            StockKey {
                sku: "S".into(),
                location: "A".into(),
                lot: "L1".into(),
            },
            6,
        )],
    };
    let streams: Streams = [(
        DeviceEpoch {
            device: "d1".into(),
            epoch: 3,
        },
        3,
    )]
    .into_iter()
    .collect();
    out.finish(&checkpoint, &streams).expect("finish");
    let mut segment = Segment::open(path.clone(), name.clone()).expect("open");
    assert_eq!(segment.checkpoint().expect("checkpoint"), checkpoint);
    assert_eq!(segment.streams().expect("streams"), streams);
    segment.rewind().expect("rewind");
    let read: Vec<EventRecord> = (5..=8)
        .map_while(|id| segment.next_entry(id).expect("entry"))
        .collect();
    assert_eq!(read, events);
    assert!(Segment::open(path.clone(), SegmentName { first: 5, last: 8 }).is_err());
    let bytes = std::fs::read(&path).expect("read");
    std::fs::write(&path, &bytes[..bytes.len() - 1]).expect("cut");
    assert!(matches!(
        Segment::open(path, name),
        Err(StoreError::Damaged { .. })
    ));
}

#[test]
fn a_segment_missing_entries_is_not_finished() {
    let dir = tempfile::tempdir().expect("tempdir");
    let name = SegmentName { first: 1, last: 2 };
    let path = dir.path().join(name.file_name());
    let mut out = SegmentWriter::create(path, name).expect("create");
    out.entry(1, &event("d1", 1)).expect("entry");
    let finished = out.finish(&Checkpoint::default(), &Streams::default());
    assert!(matches!(finished, Err(StoreError::Inconsistent(_))));
}
