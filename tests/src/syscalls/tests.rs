//! Data-driven checks of the sync audit: small strace excerpts (several
//! copied from real runs of the agent and the hub) in, verdicts out. Each
//! case lists the confirmations it must find, in order, each with the paths
//! it must name as unsynced (none: the confirmation is clean).

use super::line::{decoration, joined_bytes, resolve, Event, Lines, Ret};
use super::{audit, Kind, Scope};

struct Case {
    name: &'static str,
    trace: &'static str,
    /// (what the confirmation says, unsynced paths it must name).
    expect: &'static [(&'static str, &'static [&'static str])],
}

const OK1: &str = "100 write(1<pipe:[7]>, \"ok seq=1\\n\", 9) = 9";

const CASES: &[Case] = &[
    Case {
        name: "a write flushed with sync_file_range only is unsynced",
        trace: "100 pwrite64(9</d/db>, \"x\"..., 300, 0) = 300\n\
                101 sync_file_range(9</d/db>, 0, 300, SYNC_FILE_RANGE_WAIT_BEFORE|SYNC_FILE_RANGE_WRITE|SYNC_FILE_RANGE_WAIT_AFTER) = 0\n\
                100 write(1<pipe:[7]>, \"ok seq=1\\n\", 9) = 9",
        expect: &[("ok seq=1", &["/d/db"])],
    },
    Case {
        name: "fdatasync (through another fd of the same file) clears it",
        trace: "100 pwrite64(9</d/db>, \"x\", 1, 0) = 1\n\
                100 fdatasync(12</d/db>) = 0\n\
                100 write(1<pipe:[7]>, \"ok seq=1\\n\", 9) = 9",
        expect: &[("ok seq=1", &[])],
    },
    Case {
        name: "a failed fdatasync clears nothing",
        trace: "100 pwrite64(9</d/wms-seal>, \"x\", 64, 0) = 64\n\
                100 fdatasync(9</d/wms-seal>) = -1 EIO (Input/output error)\n\
                100 write(1<pipe:[7]>, \"ok seq=1\\n\", 9) = 9",
        expect: &[("ok seq=1", &["/d/wms-seal"])],
    },
    Case {
        name: "an fsync counts once it returned (resumed after the first ok)",
        trace: "100 pwrite64(9</d/db>, \"x\", 1, 0) = 1\n\
                101 fdatasync(9</d/db> <unfinished ...>\n\
                100 write(1<pipe:[7]>, \"ok seq=1\\n\", 9) = 9\n\
                101 <... fdatasync resumed>) = 0\n\
                100 write(1<pipe:[7]>, \"ok seq=2\\n\", 9) = 9",
        expect: &[("ok seq=1", &["/d/db"]), ("ok seq=2", &[])],
    },
    Case {
        name: "a write that returned after the fsync started is not covered",
        trace: "100 pwrite64(9</d/db>, \"x\", 1, 0 <unfinished ...>\n\
                101 fdatasync(9</d/db>) = 0\n\
                100 <... pwrite64 resumed>) = 1\n\
                102 write(1<pipe:[7]>, \"ok seq=1\\n\", 9) = 9",
        expect: &[("ok seq=1", &["/d/db"])],
    },
    Case {
        name: "a confirmation counts at its start, even if it returns later",
        trace: "100 pwrite64(9</d/db>, \"x\", 1, 0) = 1\n\
                102 write(1<pipe:[7]>, \"ok seq=1\\n\", 9 <unfinished ...>\n\
                101 fdatasync(9</d/db>) = 0\n\
                102 <... write resumed>) = 9",
        expect: &[("ok seq=1", &["/d/db"])],
    },
    Case {
        name: "a rename needs an fsync of its directory",
        trace: "100 openat(AT_FDCWD</w>, \"/d/snap.tmp\", O_WRONLY|O_CREAT|O_EXCL|O_CLOEXEC, 0666) = 9</d/snap.tmp>\n\
                100 write(9</d/snap.tmp>, \"s\", 1) = 1\n\
                100 fsync(9</d/snap.tmp>) = 0\n\
                100 renameat2(AT_FDCWD</w>, \"../d/snap.tmp\", AT_FDCWD</w>, \"/d/snap.1\", RENAME_NOREPLACE) = 0\n\
                100 write(1<pipe:[7]>, \"ok seq=1\\n\", 9) = 9\n\
                100 openat(AT_FDCWD</w>, \"/d\", O_RDONLY|O_CLOEXEC) = 10</d>\n\
                100 fsync(10</d>) = 0\n\
                100 write(1<pipe:[7]>, \"ok seq=2\\n\", 9) = 9",
        expect: &[("ok seq=1", &["/d"]), ("ok seq=2", &[])],
    },
    Case {
        name: "a new file dirties its directory; a file that was there does not",
        trace: "100 openat(AT_FDCWD</w>, \"/d/db\", O_RDWR|O_CREAT|O_CLOEXEC, 0666) = 9</d/db>\n\
                100 write(1<pipe:[7]>, \"ok seq=1\\n\", 9) = 9\n\
                100 openat(AT_FDCWD</w>, \"conf\", O_WRONLY|O_CREAT|O_CLOEXEC, 0666) = 11</d/conf>\n\
                100 mkdir(\"/d/blobs\", 0777) = 0\n\
                100 mkdir(\"/d/blobs\", 0777) = -1 EEXIST (File exists)\n\
                100 write(1<pipe:[7]>, \"ok seq=2\\n\", 9) = 9",
        expect: &[("ok seq=1", &[]), ("ok seq=2", &["/d"])],
    },
    Case {
        name: "writes outside the data directory are not data",
        trace: "100 write(2<pipe:[8]>, \"INFO agent starting\\n\", 20) = 20\n\
                100 pwrite64(4</elsewhere/db>, \"x\", 1, 0) = 1\n\
                100 unlinkat(AT_FDCWD</w>, \"/elsewhere/x\", 0) = 0\n\
                100 write(1<pipe:[7]>, \"ok seq=1\\n\", 9) = 9",
        expect: &[("ok seq=1", &[])],
    },
    Case {
        name: "an ack counts once, at the hub client's write, not the broker's",
        trace: "14163 pwrite64(11</d/db>, \"q\\302I_\\n2\\0\\4\\0\\te\\0\"..., 649, 185) = 649\n\
                14115 writev(18<socket:[14950]>, [{iov_base=\"2\\37\\0\\21wms/s1/dev/d1/ack\\0\\3\\1\\1\\2s1\\2d1\\7\\1\", iov_len=33}], 1) = 33\n\
                14138 sendto(20<socket:[14962]>, \"2\\37\\0\\21wms/s1/dev/d1/ack\\0\\1\\1\\1\\2s1\\2d1\\7\\1\", 33, MSG_NOSIGNAL, NULL, 0) = 33\n\
                14163 fdatasync(11</d/db>) = 0\n\
                14115 writev(18<socket:[14950]>, [{iov_base=\"@\\2\\0\\1\", iov_len=4}, {iov_base=\"2\\37\\0\\21wms/s1/dev/d1/ack\\0\\4\\1\\1\\2s1\\2d1\\7\\2\", iov_len=33}], 2) = 37",
        expect: &[
            ("ack through=1 on wms/s1/dev/d1/ack", &["/d/db"]),
            ("ack through=2 on wms/s1/dev/d1/ack", &[]),
        ],
    },
    Case {
        name: "status and event publishes are not acks",
        trace: "100 pwrite64(11</d/db>, \"x\", 1, 0) = 1\n\
                100 writev(12<socket:[15806]>, [{iov_base=\"2)\\0\\24wms/s1/dev/d1/status\\0\\2\\1\\2\\2s1\\2d1\\0\\0\\0\", iov_len=43}], 1) = 43",
        expect: &[],
    },
    Case {
        name: "a 2xx to a POST confirms, a 200 to a GET does not",
        trace: "200 recvfrom(20<socket:[5]>, \"POST /api/v1/reservations HTTP/1.1\\r\\nHost: x\\r\\n\"..., 8192, 0, NULL, NULL) = 150\n\
                201 pwrite64(11</d/db>, \"r\", 1, 0) = 1\n\
                200 writev(20<socket:[5]>, [{iov_base=\"HTTP/1.1 201 Created\\r\\ncontent-length: 2\\r\\n\\r\\n\", iov_len=44}, {iov_base=\"{}\", iov_len=2}], 2) = 46\n\
                210 read(21<socket:[6]>, \"GET /api/v1/devices HTTP/1.1\\r\\n\\r\\n\", 8192) = 32\n\
                210 write(21<socket:[6]>, \"HTTP/1.1 200 OK\\r\\n\\r\\n\", 19) = 19\n\
                201 fdatasync(11</d/db>) = 0\n\
                200 read(22<socket:[9]>,  <unfinished ...>\n\
                200 <... read resumed>\"DELETE /api/v1/reservations/2 HTTP/1.1\\r\\n\", 8192) = 40\n\
                200 write(22<socket:[9]>, \"HTTP/1.1 409 Conflict\\r\\n\\r\\n\", 25) = 25\n\
                200 read(23<socket:[10]>, \"PUT /api/v1/safety-stock/A HTTP/1.1\\r\\n\", 8192) = 38\n\
                200 write(23<socket:[10]>, \"HTTP/1.1 200 OK\\r\\n\\r\\n\", 19) = 19\n\
                200 recvfrom(24<socket:[11]>, \"DELETE /api/v1/reservati\", 24, 0, NULL, NULL) = 24\n\
                200 recvfrom(24<socket:[11]>, \"ons/2 HTTP/1.1\\r\\nhost: x\\r\\n\\r\\n\", 8192, 0, NULL, NULL) = 27\n\
                200 write(24<socket:[11]>, \"HTTP/1.1 200 OK\\r\\n\\r\\n\", 19) = 19",
        expect: &[
            ("201 to POST /api/v1/reservations", &["/d/db"]),
            ("200 to PUT /api/v1/safety-stock/A", &[]),
            ("200 to DELETE /api/v1/reservations/2", &[]),
        ],
    },
    Case {
        name: "syncfs covers everything; signals and exits are skipped",
        trace: "100 pwrite64(9</d/db>, \"x\", 1, 0) = 1\n\
                100 unlink(\"/d/old\") = 0\n\
                100 --- SIGTERM {si_signo=SIGTERM, si_code=SI_USER, si_pid=1, si_uid=0} ---\n\
                100 syncfs(9</d/db>) = 0\n\
                100 write(1<pipe:[7]>, \"ok seq=1\\n\", 9) = 9\n\
                100 +++ exited with 0 +++",
        expect: &[("ok seq=1", &[])],
    },
];

#[test]
fn every_case_gets_its_verdict() {
    let scope = Scope::new("/d", ["/d/db".to_string()]);
    for case in CASES {
        let trace: String = case
            .trace
            .lines()
            .map(|l| format!("{}\n", l.trim_start()))
            .collect();
        let report = audit(&trace, &scope);
        let found: Vec<(String, Vec<String>)> = report
            .confirmations
            .iter()
            .map(|c| {
                let violation = report.violations.iter().find(|v| v.confirmation == *c);
                let paths = violation.map_or(Vec::new(), |v| {
                    v.unsynced.iter().map(|u| u.path.clone()).collect()
                });
                (c.what.clone(), paths)
            })
            .collect();
        let want: Vec<(String, Vec<String>)> = case
            .expect
            .iter()
            .map(|(what, paths)| {
                (
                    what.to_string(),
                    paths.iter().map(|p| p.to_string()).collect(),
                )
            })
            .collect();
        assert_eq!(found, want, "{}", case.name);
        assert_eq!(report.unparsed, 0, "{}", case.name);
    }
}

#[test]
fn a_violation_names_the_file_and_the_confirmation() {
    let trace = format!("100 pwrite64(9</d/db>, \"x\", 1, 0) = 1\n{OK1}\n");
    let report = audit(&trace, &Scope::new("/d", []));
    assert_eq!(report.count(Kind::Scan), 1);
    assert_eq!(report.violations_of(Kind::Scan), 1);
    let text = report.violations[0].to_string();
    assert_eq!(
        text,
        "line 2: scan ok line `ok seq=1` while unsynced: /d/db (written since line 1)"
    );
    assert!(report
        .summary()
        .contains("scan ok line: 1 seen, 1 unsynced"));
}

#[test]
fn lines_join_starts_to_resumptions_per_thread() {
    let mut lines = Lines::default();
    let start = lines.feed(0, "7 read(3</d/x>,  <unfinished ...>");
    assert!(matches!(&start[..], [Event::Start(c)] if c.name == "read" && c.args.len() == 1));
    assert!(lines.feed(1, "8 fsync(4</d/y>) = 0").len() == 2);
    let end = lines.feed(2, "7 <... read resumed>\"a, b) = 1\", 10) = 9");
    let [Event::End(call)] = &end[..] else {
        panic!("{end:?}");
    };
    assert_eq!((call.start, call.end, call.args.len()), (0, 2, 3));
    assert_eq!(call.ret, Ret::Value(9, None));
    assert_eq!(joined_bytes(&call.args[1]), b"a, b) = 1");
    assert!(lines.feed(3, "9 <... write resumed>) = 1").is_empty());
    assert!(lines.feed(4, "not a call at all").is_empty());
    assert_eq!(lines.unparsed, 2);
}

#[test]
fn strings_paths_and_returns_decode() {
    assert_eq!(
        joined_bytes(r#""\0\21a\"\\\n\x41\377""#),
        b"\0\x11a\"\\\nA\xff"
    );
    assert_eq!(
        joined_bytes(r#"[{iov_base="ab"..., iov_len=9}, {iov_base="cd"}]"#),
        b"ab"
    );
    assert_eq!(decoration("12</d/x (deleted)>").as_deref(), Some("/d/x"));
    assert_eq!(decoration("AT_FDCWD</w>").as_deref(), Some("/w"));
    assert_eq!(resolve(Some("/w/a"), "../b/./c").as_deref(), Some("/w/b/c"));
    assert_eq!(resolve(None, "rel"), None);
    let mut lines = Lines::default();
    let ev = lines.feed(
        0,
        "5 openat(AT_FDCWD</w>, \"x\", O_RDONLY) = -1 ENOENT (No such file or directory)",
    );
    assert!(matches!(&ev[..], [_, Event::End(c)] if c.ret == Ret::Error("ENOENT".into())));
    let ev = lines.feed(1, "5 write(1<pipe:[3]>, \"x\", 1) = ?");
    assert!(matches!(&ev[..], [_, Event::End(c)] if c.ret == Ret::Unknown));
}
