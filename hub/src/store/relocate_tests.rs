use super::*;
use std::collections::BTreeMap;

fn store(dir: &std::path::Path) -> Store {
    Store::open(dir).expect("open")
}

/// The hub's mix in miniature: a sliding window of log-like records, and a
/// record that stays every `every` writes; a flush each 64 writes, as
/// group commits do. Returns the keys that stay.
fn churn(store: &Store, from: u64, writes: u64, every: u64) {
    let value = vec![7u8; 300];
    for i in from..from + writes {
        let key = [&b"Zw"[..], &i.to_be_bytes()].concat();
        store.tree.insert(key, value.clone()).expect("insert");
        if i >= 4_000 {
            let old = [&b"Zw"[..], &(i - 4_000).to_be_bytes()].concat();
            store.tree.remove(old).expect("remove");
        }
        if i % every == 0 {
            let key = [&b"Zp"[..], &i.to_be_bytes()].concat();
            store.tree.insert(key, &b"stays"[..]).expect("insert");
        }
        if i % 64 == 0 {
            store.db.flush().expect("flush");
        }
    }
    store.db.flush().expect("flush");
}

fn contents(store: &Store) -> BTreeMap<Vec<u8>, Vec<u8>> {
    store
        .tree
        .iter()
        .map(|kv| kv.expect("read"))
        .map(|(k, v)| (k.to_vec(), v.to_vec()))
        .collect()
}

#[test]
fn a_pass_is_due_only_after_the_file_grew_past_the_floor() {
    let mut r = Relocator::new(RelocatePolicy {
        grow: 100,
        chunk: 8,
    });
    assert!(!r.due(1_000), "the first size seen is the floor");
    assert!(!r.due(1_099));
    assert!(r.due(1_100));
    assert!(r.due(0), "a started pass stays due until it ends");
    let mut never = Relocator::new(RelocatePolicy { grow: 0, chunk: 8 });
    assert!(!never.due(0));
    assert!(!never.due(u64::MAX));
}

#[test]
fn a_pass_rewrites_every_tree_in_chunks_and_changes_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let store = store(dir.path());
    churn(&store, 0, 5_000, 10);
    let other = store.db.open_tree("writeback").expect("tree");
    other.insert(b"k", &b"v"[..]).expect("insert");
    let before = contents(&store);
    let total: usize = store
        .db
        .tree_names()
        .iter()
        .map(|n| store.db.open_tree(n).expect("tree").len())
        .sum();
    let mut r = Relocator::new(RelocatePolicy {
        grow: 1,
        chunk: 1_000,
    });
    r.floor = Some(0);
    let mut steps = 0;
    loop {
        steps += 1;
        match r.step(&store, store.data_file_bytes()).expect("step") {
            Step::Finished => break,
            Step::Chunk => assert!(steps < 100, "the pass never ends"),
            Step::Idle => panic!("a due pass was idle"),
        }
    }
    assert_eq!(r.stats().passes, 1);
    assert_eq!(r.stats().rewritten + r.stats().skipped, total as u64);
    assert!(steps >= total / 1_000, "{steps} steps for {total} keys");
    assert_eq!(contents(&store), before);
    assert_eq!(other.get(b"k").expect("get").as_deref(), Some(&b"v"[..]));
}

#[test]
fn relocation_keeps_the_data_file_from_growing_under_the_hubs_mix() {
    // Without passes the file grows with every write; with them, the
    // regions old pages held are freed and reused.
    let grown = |relocate: bool| {
        let dir = tempfile::tempdir().expect("dir");
        let store = store(dir.path());
        let mut r = Relocator::new(RelocatePolicy {
            grow: 1 << 20,
            chunk: 100_000,
        });
        r.floor = Some(0);
        for round in 0..40 {
            churn(&store, round * 12_000, 12_000, 25);
            if relocate {
                while r.step(&store, store.data_file_bytes()).expect("step") == Step::Chunk {}
            }
        }
        store.data_file_bytes()
    };
    let without = grown(false);
    let with = grown(true);
    assert!(
        with * 2 < without,
        "with relocation the data file is {with} bytes, without {without}"
    );
}

#[test]
fn a_pass_beside_a_writer_never_undoes_a_write() {
    let dir = tempfile::tempdir().expect("dir");
    let store = store(dir.path());
    churn(&store, 0, 2_000, 10);
    let writer = {
        let store = store.clone();
        std::thread::spawn(move || {
            for i in 0..20_000u64 {
                let key = [&b"Zc"[..], &(i % 500).to_be_bytes()].concat();
                if i % 7 == 0 {
                    store.tree.remove(key).expect("remove");
                } else {
                    store
                        .tree
                        .insert(key, &i.to_be_bytes()[..])
                        .expect("insert");
                }
            }
        })
    };
    let mut r = Relocator::new(RelocatePolicy { grow: 1, chunk: 50 });
    r.floor = Some(0);
    while !writer.is_finished() {
        r.step(&store, store.data_file_bytes()).expect("step");
    }
    writer.join().expect("writer");
    // The last write of each key decides it, whatever the pass did.
    for k in 0..500u64 {
        let last = (0..20_000u64).filter(|i| i % 500 == k).max().expect("last");
        let key = [&b"Zc"[..], &k.to_be_bytes()].concat();
        let want = (last % 7 != 0).then(|| last.to_be_bytes().to_vec());
        let got = store.tree.get(&key).expect("get").map(|v| v.to_vec());
        assert_eq!(got, want, "key {k}");
    }
}
