use super::*;

fn addr(host: &str, port: u16, tls: bool) -> BrokerAddress {
    BrokerAddress {
        host: host.into(),
        port,
        tls,
    }
}

#[test]
fn addresses_parse_with_and_without_a_scheme() {
    let cases = [
        ("mqtt://10.0.0.5:1883", addr("10.0.0.5", 1883, false)),
        (
            "mqtts://broker.local:8883",
            addr("broker.local", 8883, true),
        ),
        ("127.0.0.1:1884", addr("127.0.0.1", 1884, false)),
        ("mqtt://[::1]:1883/", addr("::1", 1883, false)),
    ];
    for (text, want) in cases {
        assert_eq!(BrokerAddress::parse(text).expect(text), want, "{text}");
    }
}

#[test]
fn bad_addresses_are_refused_with_the_text() {
    for text in [
        "",
        "broker",
        "http://h:1",
        "mqtt://h:0",
        "mqtt://h:65536",
        "mqtt://:1883",
        "mqtt://h:x",
        "mqtt://a b:1883",
        "mqtt://[::1:1883",
        "mqtt://user@h:1883",
    ] {
        let err = BrokerAddress::parse(text).expect_err(text);
        assert!(err.to_string().contains(&format!("{text:?}")), "{err}");
    }
}

#[test]
fn a_password_in_the_config_is_refused_with_advice() {
    let config = ExternalBrokerConfig {
        address: Some("mqtt://h:1883".into()),
        username: Some("hub-s1".into()),
        password: Some("secret".into()),
        ..Default::default()
    };
    let err = config.validate().expect_err("refused");
    assert!(err.to_string().contains(PASSWORD_ENV), "{err}");
    assert!(!err.to_string().contains("secret"), "{err}");
}

#[test]
fn tls_needs_a_ca_file() {
    let mut config = ExternalBrokerConfig {
        address: Some("mqtts://h:8883".into()),
        ..Default::default()
    };
    assert!(matches!(config.validate(), Err(ExternalError::NoCaFile)));
    config.ca_file = Some("/etc/wms/ca.pem".into());
    config.validate().expect("valid with a CA file");
}

#[test]
fn the_password_comes_from_the_environment_or_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("broker.pass");
    std::fs::write(&file, "from-file\n").expect("write");
    let config = ExternalBrokerConfig {
        username: Some("hub-s1".into()),
        password_file: Some(file.clone()),
        ..Default::default()
    };
    let login = |env: Option<&str>| config.login_with_env(env.map(String::from));
    let pair = |p: &str| Some(("hub-s1".to_string(), p.to_string()));
    assert_eq!(login(None).expect("file"), pair("from-file"));
    assert_eq!(login(Some("from-env")).expect("env"), pair("from-env"));
    assert_eq!(login(Some("")).expect("empty env"), pair("from-file"));
    for bad in ["", "\n", "two\nlines\n"] {
        std::fs::write(&file, bad).expect("write");
        let err = login(None).expect_err(bad);
        assert!(matches!(err, ExternalError::PasswordFile { .. }), "{err}");
    }
    std::fs::remove_file(&file).expect("remove");
    assert!(matches!(
        login(None),
        Err(ExternalError::PasswordFile { .. })
    ));
}

#[test]
fn a_username_without_any_password_is_refused() {
    let config = ExternalBrokerConfig {
        username: Some("hub-s1".into()),
        ..Default::default()
    };
    assert!(matches!(
        config.login_with_env(None),
        Err(ExternalError::HalfLogin)
    ));
    let no_user = ExternalBrokerConfig {
        password_file: Some("/x".into()),
        ..Default::default()
    };
    assert!(matches!(no_user.validate(), Err(ExternalError::HalfLogin)));
    assert_eq!(
        ExternalBrokerConfig::default().login_with_env(None).ok(),
        Some(None)
    );
}
