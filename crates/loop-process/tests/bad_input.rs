//! Bad input gets a clear error: a missing program, a file that is not executable, a NUL byte.

mod common;

use std::io::ErrorKind;
use std::os::unix::fs::PermissionsExt;

use loop_process::Command;

#[test]
fn missing_program_is_not_found_naming_it() {
    common::run(async {
        let err = Command::new("loop-process-no-such-program")
            .spawn()
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert!(
            err.to_string().contains("loop-process-no-such-program"),
            "{err}"
        );
        let err = Command::new("/no/such/dir/prog")
            .output()
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert!(err.to_string().contains("/no/such/dir/prog"), "{err}");
    });
}

#[test]
fn not_executable_is_permission_denied() {
    common::run(async {
        let path = std::env::temp_dir().join(format!("loop-process-noexec-{}", std::process::id()));
        std::fs::write(&path, "#!/bin/sh\necho hi\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = Command::new(&path).spawn().unwrap_err();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
        assert!(err.to_string().contains("loop-process-noexec"), "{err}");
    });
}

#[test]
fn nul_byte_is_invalid_input() {
    common::run(async {
        let err = Command::new("echo").arg("a\0b").spawn().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        let err = Command::new("ec\0ho").spawn().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        let err = Command::new("echo").env("K", "v\0").spawn().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    });
}

#[test]
fn spawn_outside_a_loop_is_an_error() {
    let err = Command::new("true").spawn().unwrap_err();
    assert!(err.to_string().contains("loop"), "{err}");
}
