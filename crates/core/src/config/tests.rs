//! The config file's reading, checking and round trip.

use super::*;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(Path::new("/etc/sb/config.toml"), text)
}

#[test]
fn reads_sources_and_defaults() {
    let config = parse("[[source]]\nname = \"main\"\nfhir = \"https://fhir.example.org/r4\"\n").unwrap();
    assert_eq!(config.phone_region, "US");
    assert_eq!(config.sources[0].fhir.as_str(), "https://fhir.example.org/r4/");
    assert_eq!(config.sources[0].page_size, DEFAULT_PAGE_SIZE);
}

#[test]
fn unknown_field_names_file_line_and_field() {
    let err = parse("[[source]]\nname = \"main\"\nfhri = \"https://x\"\n").unwrap_err();
    assert_eq!(err.line, Some(3));
    assert_eq!(err.field.as_deref(), Some("fhri"));
    assert!(err.to_string().starts_with("config file /etc/sb/config.toml, line 3, field `fhri`"), "{err}");
}

#[test]
fn bad_url_names_its_line() {
    let err = parse("phone_region = \"us\"\n\n[[source]]\nname = \"a\"\nfhir = \"ftp://x\"\n").unwrap_err();
    assert_eq!((err.line, err.field.as_deref()), (Some(5), Some("fhir")));
}

#[test]
fn missing_field_and_syntax_errors_are_reported() {
    let err = parse("[[source]]\nname = \"a\"\n").unwrap_err();
    assert_eq!(err.field.as_deref(), Some("fhir"));
    let err = parse("[[source]\nname = \"a\"\n").unwrap_err();
    assert_eq!(err.line, Some(1));
}

#[test]
fn duplicate_names_and_bad_region_are_refused() {
    let twice = "[[source]]\nname = \"a\"\nfhir = \"http://x\"\n[[source]]\nname = \"a\"\nfhir = \"http://y\"\n";
    assert_eq!(parse(twice).unwrap_err().line, Some(5));
    assert_eq!(parse("phone_region = \"USA\"\n").unwrap_err().field.as_deref(), Some("phone_region"));
}

#[test]
fn phone_and_intake_sections_are_read_and_checked() {
    let config = parse("[phone]\nport = 48001\nagent = \"Desk 3\"\n[intake]\nllm_url = \"http://127.0.0.1:8080/v1/chat/completions\"\n").unwrap();
    assert_eq!((config.phone.port, config.phone.listen, config.phone.agent.as_deref()), (48001, true, Some("Desk 3")));
    assert!(config.intake.llm_url.is_some());
    assert_eq!(parse("").unwrap().phone.port, DEFAULT_CALL_PORT);
    let err = parse("[phone]\nport = 80\n").unwrap_err();
    assert_eq!((err.line, err.field.as_deref()), (Some(2), Some("port")));
    assert_eq!(parse("[intake]\nllm_url = \"file:///x\"\n").unwrap_err().field.as_deref(), Some("llm_url"));
}

#[test]
fn session_and_audit_sections_are_read_and_checked() {
    let config = parse("[session]\nidle_lock_minutes = 3\n[audit]\nrepository = \"https://arr.example.org/fhir\"\n").unwrap();
    assert_eq!(config.session.idle_lock_minutes, 3);
    assert!(!config.session.unlock_pin, "a PIN unlock is off unless the clinic allows it");
    assert!(parse("[session]\nunlock_pin = true\n").unwrap().session.unlock_pin);
    assert_eq!(parse("[session]\nunlock_pin = 1234\n").unwrap_err().line, Some(2));
    assert_eq!(config.audit.repository.unwrap().as_str(), "https://arr.example.org/fhir/");
    assert_eq!(parse("").unwrap().session.idle_lock_minutes, DEFAULT_IDLE_LOCK_MINUTES);
    for minutes in [0, 31] {
        let err = parse(&format!("[session]\nidle_lock_minutes = {minutes}\n")).unwrap_err();
        assert_eq!((err.line, err.field.as_deref()), (Some(2), Some("idle_lock_minutes")), "{err}");
        assert!(err.problem.contains("between 1 and 30"), "{err}");
    }
    let bad_sync = parse("[[source]]\nname = \"ehr\"\nfhir = \"http://x\"\nsync = \"bulk\"\n").unwrap_err();
    assert_eq!((bad_sync.line, bad_sync.field.as_deref()), (Some(4), Some("sync")), "{bad_sync}");
    let bad_group = parse("[[source]]\nname = \"ehr\"\nfhir = \"http://x\"\nexport_group = \"a/b\"\n").unwrap_err();
    assert_eq!(bad_group.field.as_deref(), Some("export_group"), "{bad_group}");
    let user = parse("[[source]]\nname = \"ehr\"\nfhir = \"http://x\"\nauth = \"user\"\nclient_id = \"switchboard\"\n").unwrap();
    assert_eq!(user.sources[0].auth, SourceAuth::User { client_id: "switchboard".into() });
    let no_client = parse("[[source]]\nname = \"ehr\"\nfhir = \"http://x\"\nauth = \"user\"\n").unwrap_err();
    assert_eq!((no_client.line, no_client.field.as_deref()), (Some(4), Some("client_id")));
    assert_eq!(parse("[[source]]\nname = \"e\"\nfhir = \"http://x\"\nauth = \"magic\"\n").unwrap_err().field.as_deref(), Some("auth"));
    let reserved = parse("[[source]]\nname = \"audit-repository\"\nfhir = \"http://x\"\n").unwrap_err();
    assert_eq!(reserved.field.as_deref(), Some("name"));
}

#[test]
fn roles_map_codes_to_the_most_trusted_role_and_name_a_bad_one() {
    let config = parse("[roles]\nnurse = [\"224535009\"]\nsupervisor = [\"lead\"]\n[roles.allow]\nfrontdesk = [\"task_complete\"]\n").unwrap();
    let roles = &config.roles;
    assert_eq!(roles.role_of(&["224535009".into()]), Some(crate::StaffRole::Nurse));
    assert_eq!(roles.role_of(&["224535009".into(), "lead".into()]), Some(crate::StaffRole::Supervisor));
    assert_eq!(roles.role_of(&["other".into()]), None);
    assert_eq!(roles.allow[&crate::StaffRole::Frontdesk], ["task_complete"]);
    let bad = parse("[roles]\nwizard = [\"x\"]\n").unwrap_err();
    assert_eq!(bad.field.as_deref(), Some("roles.wizard"), "{bad}");
}

#[test]
fn save_then_load_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config.toml");
    let mut config = Config::default();
    config.sources.push(SourceConfig { page_size: 50, ..SourceConfig::new("a", parse_fhir_url("http://h/fhir").unwrap()) });
    let user = SourceAuth::User { client_id: "switchboard".into() };
    config.sources.push(SourceConfig { auth: user, ..SourceConfig::new("b", parse_fhir_url("http://h/fhir").unwrap()) });
    let backend = SourceAuth::Backend { client_id: "switchboard-backend".into() };
    let exported = SourceConfig {
        auth: backend,
        sync: SyncMethod::Export,
        export_group: Some("clinic-1".into()),
        export_poll_seconds: 5,
        partial: true,
        focus_days: 3,
        retention_days: 90,
        ..SourceConfig::new("c", parse_fhir_url("http://h/fhir").unwrap())
    };
    config.sources.push(exported);
    config.phone = PhoneConfig { port: 48000, listen: false, agent: Some("Desk 2".into()) };
    config.intake.llm_url = Some(Url::parse("http://127.0.0.1:8080/v1/chat/completions").unwrap());
    config.audit.repository = Some(parse_fhir_url("https://arr.example.org/fhir").unwrap());
    config.session.idle_lock_minutes = 5;
    config.session.unlock_pin = true;
    config.roles.codes.insert(crate::StaffRole::Nurse, vec!["224535009".into(), "nurse".into()]);
    config.roles.allow.insert(crate::StaffRole::Frontdesk, vec!["task_complete".into()]);
    config.save(&file).unwrap();
    assert_eq!(Config::load(&file).unwrap(), config);
    assert_eq!(Config::load(&dir.path().join("absent.toml")).unwrap(), Config::default());
}

#[test]
fn huge_values_are_quoted_by_their_start_only() {
    let huge = "x".repeat(10 * 1024 * 1024);
    for text in [format!("phone_region = \"{huge}\"\n"), format!("[[source]]\nname = \"a\"\nfhir = \"{huge}\"\n"), format!("{huge} = 1\n")] {
        let message = parse(&text).unwrap_err().to_string();
        assert!(message.len() < 600, "{} bytes: {}", message.len(), &message[..200]);
    }
}

#[test]
fn credentials_in_a_url_are_refused_and_never_repeated() {
    let err = parse("[[source]]\nname = \"a\"\nfhir = \"https://clinic:hunter2@fhir.example.org/r4\"\n").unwrap_err();
    let message = err.to_string();
    assert!(message.contains("must not carry a user name or password"), "{message}");
    assert!(!message.contains("hunter2") && !message.contains("clinic:"), "{message}");
    let unparsable = parse_fhir_url("https://clinic:hunter2@[bad").unwrap_err();
    assert!(!unparsable.contains("hunter2"), "{unparsable}");
}

#[test]
fn per_source_limits_and_the_insecure_http_opt_in_are_read_and_kept() {
    let text = "[[source]]\nname = \"a\"\nfhir = \"http://10.0.0.5/fhir\"\nmax_pages = 50\nmax_page_mb = 8\nallow_insecure_http = true\n";
    let source = &parse(text).unwrap().sources[0];
    assert_eq!((source.max_pages, source.max_page_mb, source.allow_insecure_http), (50, 8, true));
    assert!(source.is_insecure_remote());
    assert!(!SourceConfig::new("b", parse_fhir_url("http://127.0.0.1:8080/fhir").unwrap()).is_insecure_remote());
    assert!(!SourceConfig::new("c", parse_fhir_url("https://fhir.example.org/").unwrap()).is_insecure_remote());
    let err = parse("[[source]]\nname = \"a\"\nfhir = \"http://h/\"\nmax_page_mb = 0\n").unwrap_err();
    assert_eq!((err.field.as_deref(), err.line), (Some("max_page_mb"), Some(4)));
}

#[test]
fn source_roles_and_the_identity_section_are_read_checked_and_kept() {
    let text = "[identity]\nsame_person_systems = [\"urn:empi\"]\nauto_link_at = 30\n\n\
        [[source]]\nname = \"ehr\"\nfhir = \"https://ehr.example.org/r4\"\nroles = [\"patients\", \"work\"]\n\n\
        [[source]]\nname = \"sched\"\nfhir = \"https://sched.example.org/r4\"\nroles = [\"scheduling\"]\n\n\
        [[source]]\nname = \"old\"\nfhir = \"https://old.example.org/r4\"\n";
    let config = parse(text).unwrap();
    assert_eq!(config.sources[0].roles, [SourceRole::Patients, SourceRole::Work]);
    assert!(config.sources[1].serves(SourceRole::Scheduling) && !config.sources[1].serves(SourceRole::Work));
    assert!(config.sources[2].serves(SourceRole::Work), "a source without roles holds everything");
    assert_eq!(
        (config.identity.same_person_systems.clone(), config.identity.auto_link_at, config.identity.review_at),
        (vec!["urn:empi".to_string()], 30.0, 12.0)
    );
    let file = tempfile::tempdir().unwrap();
    let path = file.path().join("config.toml");
    config.save(&path).unwrap();
    assert_eq!(Config::load(&path).unwrap(), config);

    let refused = |text: &str| {
        let err = parse(text).unwrap_err();
        (err.field.unwrap_or_default(), err.problem)
    };
    let one = |roles: &str| format!("[[source]]\nname = \"a\"\nfhir = \"https://a.example.org/\"\nroles = {roles}\n");
    let (field, problem) = refused(&one("[\"labs\"]"));
    assert_eq!(field, "roles");
    assert!(problem.contains("`labs` is not one of patients, scheduling, results, work"), "{problem}");
    assert!(refused(&one("[\"work\", \"work\"]")).1.contains("listed twice"));
    assert!(refused(&one("[]")).1.contains("lists no role"));
    let two_work = format!("{}\n[[source]]\nname = \"b\"\nfhir = \"https://b.example.org/\"\nroles = [\"work\"]\n", one("[\"work\"]"));
    let (field, problem) = refused(&two_work);
    assert_eq!(field, "roles");
    assert!(problem.contains("one source, not 2 (a, b)"), "{problem}");
    let (field, problem) = refused("[identity]\nauto_link_at = 5\n");
    assert_eq!(field, "identity.auto_link_at");
    assert!(problem.contains("between review_at (12) and 100"), "{problem}");
}

#[test]
fn the_hl7_section_is_read_checked_and_kept() {
    let source = "[[source]]\nname = \"labs\"\nfhir = \"https://labs.example.org/r4\"\n\n";
    let config = parse(&format!(
        "{source}[hl7]\nlisten = \"0.0.0.0:2576\"\nallowed_peers = [\"10.0.0.7\"]\ntarget = \"labs\"\nauthorities = {{ CLINIC = \"urn:oid:1.2.3\" }}\n\
         tls_cert = \"/etc/switchboard/hl7.pem\"\ntls_key = \"/etc/switchboard/hl7.key\"\n"
    ))
    .unwrap();
    assert_eq!(config.hl7.listen.to_string(), "0.0.0.0:2576");
    assert!(config.hl7.allows("10.0.0.7".parse().unwrap()) && !config.hl7.allows("127.0.0.1".parse().unwrap()));
    assert_eq!(config.hl7.authorities["CLINIC"], "urn:oid:1.2.3");
    let tls = config.hl7.tls.as_ref().expect("TLS configured");
    assert_eq!((tls.cert.to_str(), tls.key.to_str(), &tls.client_ca), (Some("/etc/switchboard/hl7.pem"), Some("/etc/switchboard/hl7.key"), &None));
    let file = tempfile::NamedTempFile::new().unwrap();
    config.save(file.path()).unwrap();
    assert_eq!(Config::load(file.path()).unwrap().hl7, config.hl7, "kept through a save");

    let default = parse(source).unwrap().hl7;
    assert_eq!(default.listen.to_string(), DEFAULT_HL7_LISTEN);
    assert!(default.allows("127.0.0.1".parse().unwrap()) && !default.allows("10.0.0.7".parse().unwrap()), "this machine only");
    assert_eq!(default.tls, None, "plain TCP unless TLS files are named");

    for (section, field, words) in [
        ("listen = \"port 2575\"", "hl7.listen", "not an address"),
        ("allowed_peers = [\"engine.local\"]", "hl7.allowed_peers", "not an IP address"),
        ("target = \"lab\"", "hl7.target", "names no configured source"),
        ("max_message_mb = 0", "hl7.max_message_mb", "between 1 and 256"),
        ("tls_cert = \"/etc/hl7.pem\"", "hl7.tls_key", "needs its private key"),
        ("tls_key = \"/etc/hl7.key\"", "hl7.tls_cert", "needs its certificate"),
        ("tls_client_ca = \"/etc/ca.pem\"", "hl7.tls_client_ca", "only over TLS"),
    ] {
        let err = parse(&format!("{source}[hl7]\n{section}\n")).unwrap_err();
        assert_eq!(err.field.as_deref(), Some(field), "{err}");
        assert!(err.problem.contains(words), "{err}");
    }
}
