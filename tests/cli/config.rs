//! `mirai version`, `mirai config check` and `mirai health` as a user runs them.

use super::Hub;

#[test]
fn version_flag_and_command() {
    let hub = Hub::scratch();
    let out = hub.run(&["--version"]).expect(0).stdout();
    assert_eq!(out.trim(), format!("mirai {}", env!("CARGO_PKG_VERSION")));
    let out = hub.run(&["version"]).expect(0).stdout();
    assert!(
        out.contains("commit ") && out.contains("target ") && out.contains("built "),
        "{out}"
    );
}

#[test]
fn version_json_is_the_identity_and_writes_the_identity_file() {
    let hub = Hub::scratch();
    let v = hub.run(&["version", "--json"]).expect(0).json();
    assert_eq!(v["name"], "MIRAI");
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    for key in ["git_commit", "target", "profile", "features", "build_date"] {
        assert!(!v["build"][key].is_null(), "build.{key} missing: {v}");
    }
    assert_eq!(v["stats"]["messages"], 0);
    let file = std::fs::read(hub.data().join("mirai_identity.json")).unwrap();
    let on_disk: serde_json::Value = serde_json::from_slice(&file).unwrap();
    assert_eq!(on_disk["capabilities"], v["capabilities"]);
}

#[test]
fn help_lists_only_commands_that_exist() {
    let hub = Hub::scratch();
    let help = hub.run(&["--help"]).expect(0).stdout();
    for cmd in [
        "version",
        "health",
        "config",
        "memory",
        "ask",
        "terminal",
        "devices",
        "autonomous",
        "tasks",
        "board",
        "zwave",
    ] {
        assert!(
            help.contains(&format!("  {cmd} ")),
            "{cmd} missing from help:\n{help}"
        );
    }
    assert!(help.contains("Exit codes"), "{help}");
}

#[test]
fn usage_errors_exit_2() {
    let hub = Hub::scratch();
    let run = hub.run(&["frobnicate"]).expect(2);
    assert!(run.stderr().contains("frobnicate"), "{}", run.stderr());
    hub.run(&["memory", "history"]).expect(2);
}

#[test]
fn config_check_reports_the_key_line_and_column_and_exits_2() {
    let hub = Hub::scratch();
    let cfg = hub.write_config("name: Kumo\nopenai:\n  defaults:\n    max_retries: 42\n");
    let cfg = cfg.to_str().unwrap();
    let run = hub.run(&["--config", cfg, "config", "check"]).expect(2);
    let want = format!("{cfg}:4:5: openai.defaults.max_retries: ");
    assert!(run.stderr().contains(&want), "{}", run.stderr());
    assert!(run.stderr().contains("0..=10"), "{}", run.stderr());
}

#[test]
fn config_check_passes_the_shipped_file_and_an_empty_one() {
    let hub = Hub::scratch();
    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/configs/mirai.yaml");
    let out = hub
        .run(&["--config", shipped, "config", "check"])
        .expect(0)
        .stdout();
    assert!(out.starts_with("config ok"), "{out}");
    let empty = hub.write_config("");
    hub.run(&["--config", empty.to_str().unwrap(), "config", "check"])
        .expect(0);
    // No file at all: the built-in defaults.
    let out = hub.run(&["config", "check"]).expect(0).stdout();
    assert!(out.contains("built-in defaults"), "{out}");
}

#[test]
fn a_missing_config_file_named_on_the_command_line_is_an_error() {
    let hub = Hub::scratch();
    let run = hub
        .run(&["--config", "nowhere.yaml", "config", "check"])
        .expect(2);
    assert!(run.stderr().contains("nowhere.yaml"), "{}", run.stderr());
}

#[test]
fn config_print_applies_env_overrides_and_never_shows_the_key() {
    let hub = Hub::scratch();
    let secret = "sk-proj-abcdefghijklmnop0123456789";
    let run = hub
        .cmd(&["config", "check", "--print"])
        .env("MIRAI_SERVICES__DASHBOARD__PORT", "8099")
        .env("OPENAI_API_KEY", secret)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{out}");
    assert!(out.contains("port: 8099"), "{out}");
    assert!(out.contains("MIRAI_SERVICES__DASHBOARD__PORT"), "{out}");
    assert!(!out.contains(secret), "{out}");

    let json = hub
        .cmd(&["config", "check", "--print", "--json"])
        .env("OPENAI_API_KEY", secret)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&json.stdout);
    assert!(!text.contains(secret));
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["effective"]["services"]["dashboard"]["port"], 8080);
    assert_eq!(v["openai_key"]["from"], "env");
}

#[test]
fn a_secret_in_the_yaml_is_refused_without_echoing_it() {
    let hub = Hub::scratch();
    let cfg = hub.write_config("openai:\n  api_key: sk-abcdefghijklmnopqrstu\n");
    let run = hub
        .run(&["--config", cfg.to_str().unwrap(), "config", "check"])
        .expect(2);
    assert!(run.stderr().contains("OPENAI_API_KEY"), "{}", run.stderr());
    assert!(!run.stderr().contains("sk-abcdefghijklmnopqrstu"));
}

#[test]
fn health_on_a_fresh_machine_warns_about_the_key_and_exits_0() {
    let hub = Hub::scratch();
    let v = hub.run(&["health", "--json"]).expect(0).json();
    assert_eq!(v["status"], "warn", "{v}");
    let api = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "api_key")
        .unwrap();
    assert_eq!(api["status"], "warn");
    assert!(hub.data().join("mirai_identity.json").exists());
    assert!(
        !v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "llm"),
        "without a key no model endpoint is called: {v}"
    );
    // With a key (and a stand-in endpoint on this machine) every check is ok.
    let server = super::openai::OpenAiServer::start();
    server.push(super::openai::Reply::models(&["gpt-4o"]));
    let run = hub
        .cmd(&["health"])
        .env("OPENAI_API_KEY", "sk-abcdefghijklmnopqrstu")
        .env("OPENAI_BASE_URL", server.base_url())
        .env("MIRAI_MQTT__ENABLED", "false")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{out}");
    assert!(out.ends_with("healthy\n"), "{out}");
}

#[test]
fn health_fails_on_a_corrupt_database_and_a_bad_config() {
    let hub = Hub::scratch();
    std::fs::create_dir_all(hub.data()).unwrap();
    std::fs::write(
        hub.data().join("mirai.db"),
        b"SQLite format 3\0 but then garbage everywhere",
    )
    .unwrap();
    let run = hub.run(&["health"]).expect(1);
    assert!(run.stdout().contains("FAIL  database"), "{}", run.stdout());
    let cfg = hub.write_config("memory:\n  short_term:\n    ttl_hours: 0\n");
    let run = hub
        .run(&["--config", cfg.to_str().unwrap(), "health"])
        .expect(1);
    assert!(
        run.stdout().contains("FAIL  config") && run.stdout().contains("ttl_hours"),
        "{}",
        run.stdout()
    );
}

#[test]
fn a_bad_log_level_on_the_command_line_is_a_usage_error() {
    let hub = Hub::scratch();
    let run = hub
        .run(&["--log-level", "loud", "memory", "stats"])
        .expect(2);
    assert!(
        run.stderr().contains("--log-level") && run.stderr().contains("loud"),
        "{}",
        run.stderr()
    );
}
