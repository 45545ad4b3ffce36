//! Where listeners bind by default, and the warning for a block served beyond this host:
//! without `address`, an exposes block listens on 127.0.0.1 only; one that listens on a
//! non-loopback address without enforced authentication is named in a warning at start.

use crate::common;

use common::serve::Naftiko;

/// The seed with its REST block on `port` and, when given, `address`.
fn seed_at(dir: &common::Scratch, address: Option<&str>, port: u16) -> String {
    let text =
        std::fs::read_to_string(common::root().join("capabilities/oauth2-tokens.yaml")).unwrap();
    let placed = match address {
        Some(a) => format!("address: {a}\n    port: {port}"),
        None => format!("port: {port}"),
    };
    assert!(
        text.contains("    port: 8080\n"),
        "the seed's REST block moved"
    );
    let text = text.replacen("port: 8080", &placed, 1);
    let path = dir.write("seed.yaml", text);
    path.to_str().unwrap().to_owned()
}

#[test]
fn a_block_without_address_listens_on_loopback_only_and_is_not_warned_about() {
    let dir = common::Scratch::new("listen-default");
    let port = common::free_port();
    let path = seed_at(&dir, None, port);
    let n = Naftiko::start(&[&path], &[]);
    let (_, addr) = n.listeners[0];
    assert_eq!(addr, std::net::SocketAddr::from(([127, 0, 0, 1], port)));
    let (_, logs) = n.stop();
    assert!(!logs.contains("beyond this host"), "{logs}");
}

#[test]
fn a_block_served_beyond_this_host_without_authentication_is_named_in_a_warning() {
    let dir = common::Scratch::new("listen-open");
    let port = common::free_port();
    let path = seed_at(&dir, Some("0.0.0.0"), port);
    let n = Naftiko::start(&[&path], &[]);
    let (_, addr) = n.listeners[0];
    assert!(addr.ip().is_unspecified(), "{addr}");
    let (_, logs) = n.stop();
    let warning = logs
        .lines()
        .find(|l| l.contains("beyond this host"))
        .unwrap_or_else(|| panic!("no warning:\n{logs}"));
    assert!(warning.contains("WARN"), "{warning}");
    assert!(warning.contains("`oauth2-tokens-rest`"), "{warning}");
    assert!(warning.contains(&format!("0.0.0.0:{port}")), "{warning}");
    assert!(
        warning.contains("declares no `authentication`"),
        "{warning}"
    );
    // `--listen` onto loopback takes the warning away.
    let n = Naftiko::start(&[&path, "--listen", "oauth2-tokens-rest=127.0.0.1:0"], &[]);
    let (_, logs) = n.stop();
    assert!(!logs.contains("beyond this host"), "{logs}");
}

#[test]
fn validate_takes_a_block_without_address_for_loopback_when_checking_ports() {
    let dir = common::Scratch::new("listen-validate");
    let port = common::free_port();
    let text =
        std::fs::read_to_string(common::root().join("capabilities/oauth2-tokens.yaml")).unwrap();
    let on = |address: &str| {
        text.replacen(
            "port: 8080",
            &format!("address: {address}\n    port: {port}"),
            1,
        )
        .replacen(
            "namespace: oauth2-tokens-rest",
            &format!("namespace: rest-{}", address.replace('.', "-")),
            1,
        )
    };
    // A REST block and an MCP block on one port collide only when their addresses can.
    let mcp = |address: Option<&str>| {
        let address = address
            .map(|a| format!("    address: {a}\n"))
            .unwrap_or_default();
        format!(
            "\n  - type: mcp\n    namespace: tools\n{address}    port: {port}\n    tools:\n    - name: token\n      description: A token.\n      call: oauth2-tokens.getoauthtoken\n"
        )
    };
    let base = text.replacen("port: 8080", &format!("port: {port}"), 1);
    for (rest, mcp_address, clash) in [
        (base.clone(), None, true),
        (base.clone(), Some("127.0.0.1"), true),
        (base.clone(), Some("192.0.2.10"), false),
        (on("192.0.2.10"), None, false),
        (on("0.0.0.0"), None, true),
    ] {
        let file = dir.write(
            "pair.yaml",
            format!("{}{}", rest.trim_end(), mcp(mcp_address)),
        );
        let out = common::naftiko(&["validate", file.to_str().unwrap(), "--format", "json"]);
        let conflict = out.stdout.contains("port-conflict");
        assert_eq!(
            conflict,
            clash,
            "{mcp_address:?}\n{}\n{}",
            std::fs::read_to_string(&file).unwrap(),
            out.stdout
        );
    }
}
