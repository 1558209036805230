//! The master key file: created once with mode 0600, reloaded equal, and
//! refused when others may read it or when it is not a key.
//!
//! Why here and not in the crate: these tests touch a real file system
//! (a temporary directory), as the hub will on first start.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use hub_privacy::{Created, MasterKey, PrivacyError};

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

#[test]
fn first_start_creates_a_0600_file_and_later_starts_load_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("master.key");
    let (first, created) = MasterKey::load_or_create(&path).unwrap();
    assert_eq!(created, Created::New);
    assert_eq!(mode(&path), 0o600);
    let text = fs::read_to_string(&path).unwrap();
    assert_eq!(text.len(), 65);
    assert!(text.ends_with('\n'));
    assert!(text[..64].bytes().all(|b| b.is_ascii_hexdigit()));

    let (again, created) = MasterKey::load_or_create(&path).unwrap();
    assert_eq!(created, Created::Existing);
    assert_eq!(again, first);
    assert_eq!(MasterKey::load(&path).unwrap(), first);
    // The file's text is also a valid environment value for the same key.
    assert_eq!(MasterKey::from_env_value(&text).unwrap(), first);
    // No temporary file is left beside it.
    let names: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(names.len(), 1);
}

#[test]
fn a_file_readable_by_group_or_others_is_refused() {
    for bad_mode in [0o644, 0o640, 0o604, 0o620, 0o660] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        MasterKey::load_or_create(&path).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(bad_mode)).unwrap();
        let err = MasterKey::load_or_create(&path).unwrap_err();
        assert!(
            matches!(err, PrivacyError::KeyFileMode { mode, .. } if mode == bad_mode),
            "{bad_mode:o}: {err}"
        );
        let message = err.to_string();
        assert!(message.contains("master.key"), "{message}");
        assert!(message.contains(&format!("{bad_mode:04o}")), "{message}");
    }
}

#[test]
fn a_0400_file_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("master.key");
    let (key, _) = MasterKey::load_or_create(&path).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o400)).unwrap();
    assert_eq!(MasterKey::load(&path).unwrap(), key);
}

fn write_0600(path: &Path, bytes: &[u8]) {
    fs::write(path, bytes).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o600)).unwrap();
}

#[test]
fn a_short_long_or_empty_file_is_refused_and_never_replaced() {
    let hex = "ab".repeat(32);
    let too_long = format!("{hex}\n\n");
    let cases: [(&[u8], u64); 4] = [
        (b"", 0),
        (&hex.as_bytes()[..40], 40),
        (too_long.as_bytes(), 66),
        (&[0u8; 32], 32),
    ];
    for (content, len) in cases {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        write_0600(&path, content);
        let err = MasterKey::load_or_create(&path).unwrap_err();
        assert!(
            matches!(err, PrivacyError::KeyFileLength { len: l, .. } if l == len),
            "{len}: {err}"
        );
        assert_eq!(
            fs::read(&path).unwrap(),
            content,
            "the file must be left alone"
        );
    }
}

#[test]
fn a_file_of_the_right_length_but_not_hex_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("master.key");
    write_0600(&path, format!("{}\n", "zz".repeat(32)).as_bytes());
    let err = MasterKey::load(&path).unwrap_err();
    assert!(matches!(err, PrivacyError::KeyFileFormat { .. }), "{err}");
}

#[test]
fn a_hex_file_without_newline_or_in_upper_case_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("master.key");
    let hex = "0F".repeat(32);
    write_0600(&path, hex.as_bytes());
    let key = MasterKey::load(&path).unwrap();
    assert_eq!(key, MasterKey::from_bytes(&[0x0f; 32]));
}

#[test]
fn a_directory_or_a_missing_parent_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = MasterKey::load_or_create(dir.path()).unwrap_err();
    assert!(
        matches!(
            err,
            PrivacyError::KeyFileNotRegular { .. } | PrivacyError::KeyFileIo { .. }
        ),
        "{err}"
    );
    let missing = dir.path().join("no-such-dir").join("master.key");
    let err = MasterKey::load_or_create(&missing).unwrap_err();
    assert!(matches!(err, PrivacyError::KeyFileIo { .. }), "{err}");
    assert!(err.to_string().contains("no-such-dir"), "{err}");
    let err = MasterKey::load(&dir.path().join("absent.key")).unwrap_err();
    assert!(matches!(err, PrivacyError::KeyFileIo { .. }), "{err}");
}

#[test]
fn concurrent_first_starts_agree_on_one_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("master.key");
    let keys: Vec<(MasterKey, Created)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| MasterKey::load_or_create(&path).unwrap()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let created = keys.iter().filter(|(_, c)| *c == Created::New).count();
    assert_eq!(created, 1);
    let file_key = MasterKey::load(&path).unwrap();
    assert!(keys.iter().all(|(key, _)| *key == file_key));
}
