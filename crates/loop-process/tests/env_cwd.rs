//! Environment set / remove / clear, and the working directory.

mod common;

use loop_process::Command;

#[test]
fn env_set_remove_clear() {
    common::run(async {
        let out = Command::new("/usr/bin/env")
            .env("LOOP_PROCESS_A", "1")
            .env("LOOP_PROCESS_B", "2")
            .env_remove("LOOP_PROCESS_B")
            .output()
            .await
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("LOOP_PROCESS_A=1"));
        assert!(!text.contains("LOOP_PROCESS_B"));
        assert!(text.contains("PATH="), "inherited variables stay");

        let out = Command::new("/usr/bin/env")
            .env_clear()
            .envs([("ONLY", "this")])
            .output()
            .await
            .unwrap();
        assert_eq!(out.stdout, b"ONLY=this\n");
    });
}

#[test]
fn working_directory() {
    let out = common::run(Command::new("pwd").current_dir("/").output()).unwrap();
    assert_eq!(out.stdout, b"/\n");
}
