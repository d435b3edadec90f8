//! `ce_mle::fsio`: files written atomically, and the check before a long run that they can be.

use ce_mle::fsio::{check_writable, write_atomic};

#[test]
fn write_atomic_replaces_the_whole_file_and_leaves_no_temporary() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("out.csv");
    write_atomic(&p, "a long first version\n".repeat(100).as_bytes()).unwrap();
    write_atomic(&p, b"short\n").unwrap();
    assert_eq!(std::fs::read(&p).unwrap(), b"short\n");
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("out.csv")]);
    // Onto a directory: an error naming the path, and the directory is untouched.
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    let err = write_atomic(&sub, b"x").unwrap_err();
    assert!(err.to_string().contains("sub"), "{err}");
    assert!(sub.is_dir());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
}

#[test]
fn check_writable_refuses_what_write_atomic_would_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    check_writable(&dir.path().join("new.csv")).unwrap();
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    let kind = |r: ce_mle::Result<()>| r.expect_err("refused").kind();
    assert_eq!(kind(check_writable(dir.path())), "Io");
    assert_eq!(
        kind(check_writable(&dir.path().join("no").join("x.csv"))),
        "Io"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
