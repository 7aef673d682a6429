//! Tests of loading: defaults, errors with line and column, overrides, secrets.

use std::path::PathBuf;
use std::time::Duration;

use super::*;

fn file() -> Origin {
    Origin::File(PathBuf::from("configs/mirai.yaml"))
}

fn load(text: &str) -> Result<Config, ConfigError> {
    Config::from_text(text, file(), None, &Env::default())
}

fn err(text: &str) -> String {
    load(text).unwrap_err().to_string()
}

#[test]
fn empty_and_comment_only_files_are_the_defaults() {
    assert_eq!(load("").unwrap().settings(), &Settings::default());
    assert_eq!(
        load("# nothing\n\n").unwrap().settings(),
        &Settings::default()
    );
}

#[test]
fn the_documented_file_states_exactly_the_defaults() {
    let text = include_str!("../../configs/mirai.yaml");
    assert_eq!(load(text).unwrap().settings(), &Settings::default());
}

#[test]
fn printed_config_reads_back_to_the_same_settings() {
    let cfg = load("openai:\n  models:\n    fast:\n      name: tiny\n").unwrap();
    let again = load(&cfg.to_redacted_yaml()).unwrap();
    assert_eq!(again.settings(), cfg.settings());
}

#[test]
fn out_of_range_names_file_line_column_key_and_range() {
    let text = "openai:\n  defaults:\n    max_retries: 11\n";
    let e = err(text);
    assert!(
        e.starts_with("configs/mirai.yaml:3:5: openai.defaults.max_retries: "),
        "{e}"
    );
    assert!(e.contains("expected an integer 0..=10"), "{e}");
}

#[test]
fn unknown_key_is_named_with_its_position() {
    let e = err("memory:\n  short_term:\n    max_mesages: 5\n");
    assert!(
        e.starts_with("configs/mirai.yaml:3:5: memory.short_term.max_mesages: "),
        "{e}"
    );
    assert!(e.contains("unknown field `max_mesages`"), "{e}");
    assert!(e.contains("max_messages"), "the valid keys are listed: {e}");
}

#[test]
fn wrong_type_and_bad_enum_are_errors() {
    let e = err("services:\n  dashboard:\n    port: eighty\n");
    assert!(
        e.contains(":3:") && e.contains("services.dashboard.port"),
        "{e}"
    );
    let e = err("monitoring:\n  logs:\n    format: xml\n");
    assert!(
        e.contains("monitoring.logs.format") && e.contains("xml"),
        "{e}"
    );
    let e = err("services:\n  dashboard:\n    host: not-an-ip\n");
    assert!(e.contains("services.dashboard.host"), "{e}");
}

#[test]
fn syntax_error_has_a_position() {
    let e = err("openai:\n  base_url: [unclosed\n");
    assert!(e.starts_with("configs/mirai.yaml:"), "{e}");
    assert!(e.split(':').nth(1).unwrap().parse::<u32>().is_ok(), "{e}");
}

#[test]
fn float_ranges_are_checked() {
    let e = err("openai:\n  models:\n    main:\n      temperature: 2.5\n");
    assert!(
        e.contains("openai.models.main.temperature") && e.contains("0..=2"),
        "{e}"
    );
}

#[test]
fn a_role_given_in_part_keeps_its_own_defaults() {
    let cfg = load("openai:\n  models:\n    fast:\n      name: tiny\n").unwrap();
    let fast = &cfg.settings().openai.models.fast;
    assert_eq!(fast.name, "tiny");
    assert_eq!(fast.temperature, 0.0);
    assert_eq!(fast.max_tokens, 256);
    assert_eq!(
        cfg.settings().openai.models.embed.timeout,
        Some(Duration::from_secs(30))
    );
}

#[test]
fn relations_between_keys_are_checked_and_located() {
    let text = "openai:\n  defaults:\n    backoff:\n      base_ms: 9000\n";
    let e = err(text);
    assert!(
        e.starts_with("configs/mirai.yaml:4:7: openai.defaults.backoff.base_ms: must not exceed"),
        "{e}"
    );
    let e = err("monitoring:\n  logs:\n    level: loud\n");
    assert!(e.contains("monitoring.logs.level"), "{e}");
    let e = err("openai:\n  base_url: ftp://x.example\n");
    assert!(e.contains(":2:3: openai.base_url"), "{e}");
}

#[test]
fn the_yaml_cannot_hold_an_api_key() {
    let e = err("openai:\n  api_key: sk-abcdefghijklmnop1234\n");
    assert!(
        e.contains("openai.api_key") && e.contains("OPENAI_API_KEY"),
        "{e}"
    );
    assert!(
        !e.contains("sk-abcdefghijklmnop1234"),
        "the value is not echoed: {e}"
    );
}

#[test]
fn env_overrides_set_keys_and_bad_ones_name_the_variable() {
    let env = Env::from_pairs([
        ("MIRAI_SERVICES__DASHBOARD__PORT", "8081"),
        ("MIRAI_OPENAI__MODELS__MAIN__NAME", "gpt-x"),
    ]);
    let cfg = Config::from_text(
        "services:\n  dashboard:\n    port: 9000\n",
        file(),
        None,
        &env,
    )
    .unwrap();
    assert_eq!(cfg.settings().services.dashboard.port, 8081);
    assert_eq!(cfg.settings().openai.models.main.name, "gpt-x");
    assert_eq!(cfg.settings().openai.models.main.max_tokens, 1024);
    assert_eq!(cfg.overrides().len(), 2);

    let env = Env::from_pairs([("MIRAI_SERVICES__DASHBOARD__PORT", "70000")]);
    let e = Config::from_text("", file(), None, &env)
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with(
            "environment variable MIRAI_SERVICES__DASHBOARD__PORT: services.dashboard.port"
        ),
        "{e}"
    );
    let env = Env::from_pairs([("MIRAI_SERVICES__DASHBORD__PORT", "1")]);
    let e = Config::from_text("", file(), None, &env)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("MIRAI_SERVICES__DASHBORD__PORT") && e.contains("dashbord"),
        "{e}"
    );
}

#[test]
fn secrets_come_from_env_or_file_and_are_never_printed() {
    let env = Env::from_pairs([("OPENAI_API_KEY", "sk-test-0123456789abcdef")]);
    let cfg = Config::from_text("", file(), None, &env).unwrap();
    assert_eq!(
        cfg.openai_key().unwrap().value.expose(),
        "sk-test-0123456789abcdef"
    );
    let printed = cfg.to_redacted_yaml();
    assert!(!printed.contains("sk-test-0123456789abcdef"), "{printed}");
    assert!(printed.contains("set from OPENAI_API_KEY"), "{printed}");
    assert!(!format!("{cfg:?}").contains("sk-test-0123456789abcdef"));
    assert_eq!(cfg.secret_values(), ["sk-test-0123456789abcdef"]);

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("openai.key"), "sk-file-0123456789abcdef\n").unwrap();
    let cfg = Config::from_text(
        "openai:\n  api_key_file: openai.key\n",
        file(),
        Some(dir.path()),
        &Env::default(),
    )
    .unwrap();
    assert_eq!(
        cfg.openai_key().unwrap().value.expose(),
        "sk-file-0123456789abcdef"
    );
}

#[test]
fn base_url_env_overrides_the_file() {
    let env = Env::from_pairs([("OPENAI_BASE_URL", "http://127.0.0.1:11434/v1")]);
    let cfg = Config::from_text("", file(), None, &env).unwrap();
    assert_eq!(cfg.settings().openai.base_url, "http://127.0.0.1:11434/v1");
    let env = Env::from_pairs([("OPENAI_BASE_URL", "localhost")]);
    let e = Config::from_text("", file(), None, &env)
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("environment variable OPENAI_BASE_URL: openai.base_url"),
        "{e}"
    );
}

#[test]
fn paths_resolve_against_the_data_dir() {
    let cfg = Config::from_text(
        "monitoring:\n  logs:\n    path: logs/mirai.log\n",
        file(),
        Some(Path::new("/var/lib/mirai")),
        &Env::default(),
    )
    .unwrap();
    assert_eq!(cfg.db_path(), PathBuf::from("/var/lib/mirai/mirai.db"));
    assert_eq!(
        cfg.log_path(),
        Some(PathBuf::from("/var/lib/mirai/logs/mirai.log"))
    );
    let cfg = Config::from_text(
        "memory:\n  db_path: /tmp/x.db\n",
        file(),
        None,
        &Env::default(),
    )
    .unwrap();
    assert_eq!(cfg.db_path(), PathBuf::from("/tmp/x.db"));
    assert_eq!(cfg.data_dir(), Path::new("data"));
}

#[test]
fn a_newer_file_version_is_refused() {
    let e = err("version: 2\n");
    assert!(
        e.contains("configs/mirai.yaml:1:1: version:") && e.contains("1..=1"),
        "{e}"
    );
}

#[test]
fn load_reads_the_named_file_and_reports_a_missing_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.yaml");
    std::fs::write(&path, "name: Hoshi\n").unwrap();
    let opts = LoadOptions {
        path: Some(path.clone()),
        data_dir: None,
    };
    let cfg = Config::load(&opts, &Env::default()).unwrap();
    assert_eq!(cfg.settings().name, "Hoshi");
    assert_eq!(cfg.origin(), &Origin::File(path));
    let opts = LoadOptions {
        path: Some(dir.path().join("nope.yaml")),
        data_dir: None,
    };
    let e = Config::load(&opts, &Env::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("nope.yaml"), "{e}");
}

#[test]
fn fallbacks_stay_within_their_kind() {
    let e = err("openai:\n  fallbacks:\n    main: [main]\n");
    assert!(
        e.contains(":3:5: openai.fallbacks.main: main cannot fall back to itself"),
        "{e}"
    );
    let e = err("openai:\n  fallbacks:\n    embed: [fast]\n");
    assert!(
        e.contains("openai.fallbacks.embed") && e.contains("embeddings"),
        "{e}"
    );
    let e = err("openai:\n  fallbacks:\n    heavy: [turbo]\n");
    assert!(
        e.contains("openai.fallbacks.heavy") && e.contains("turbo"),
        "{e}"
    );
}

#[test]
fn a_local_server_and_budget_are_read() {
    let text = "openai:\n  local:\n    base_url: http://127.0.0.1:11434/v1\n    models: {main: llama3.2}\n  budget:\n    daily_tokens: 200000\n    daily_cost_usd: 1.5\n";
    let cfg = load(text).unwrap();
    let o = &cfg.settings().openai;
    let local = o.local.as_ref().unwrap();
    assert_eq!(
        local.models.get(&Role::Main).map(String::as_str),
        Some("llama3.2")
    );
    assert_eq!(o.budget.daily_tokens, Some(200_000));
    assert_eq!(o.budget.daily_cost_usd, Some(1.5));
    let e = err("openai:\n  local:\n    base_url: 127.0.0.1:11434\n");
    assert!(e.contains(":3:5: openai.local.base_url"), "{e}");
    let e = err("openai:\n  budget:\n    daily_cost_usd: -1\n");
    assert!(e.contains("openai.budget.daily_cost_usd"), "{e}");
}

#[test]
fn mqtt_url_hub_id_and_password_are_checked() {
    let e = err("mqtt:\n  url: tcp://broker:1883\n");
    assert!(e.contains(":2:3: mqtt.url"), "{e}");
    let e = err("mqtt:\n  hub_id: my/hub\n");
    assert!(e.contains("mqtt.hub_id") && e.contains("topics"), "{e}");
    let e = err("mqtt:\n  password: hunter2hunter2\n");
    assert!(e.contains("MQTT_PASSWORD") && !e.contains("hunter2"), "{e}");
    let env = Env::from_pairs([("MQTT_PASSWORD", "broker-secret-123")]);
    let cfg = Config::from_text("", file(), None, &env).unwrap();
    assert_eq!(
        cfg.mqtt_password().unwrap().value.expose(),
        "broker-secret-123"
    );
    assert!(
        cfg.secret_values()
            .contains(&"broker-secret-123".to_owned())
    );
}

#[test]
fn zigbee2mqtt_keys_are_named_with_their_line() {
    let e = err("zigbee2mqtt:\n  enabled: true\n  base_topic: \"z2m/#\"\n");
    assert!(e.starts_with("configs/mirai.yaml:3:"), "{e}");
    assert!(e.contains("zigbee2mqtt.base_topic"), "{e}");
    let e = err("zigbee2mqtt:\n  url: http://pi\n");
    assert!(e.contains("zigbee2mqtt.url"), "{e}");
    let e = err("zigbee2mqtt:\n  password: hunter2\n");
    assert!(
        e.contains("ZIGBEE2MQTT_PASSWORD") || e.contains("*_file"),
        "{e}"
    );
    assert!(!e.contains("hunter2"), "{e}");
    let env = Env::from_pairs([("ZIGBEE2MQTT_PASSWORD", "s3cret")]);
    let cfg = Config::from_text("", file(), None, &env).unwrap();
    assert_eq!(cfg.z2m_password().unwrap().value.expose(), "s3cret");
    assert!(cfg.secret_values().contains(&"s3cret".to_owned()));
}
