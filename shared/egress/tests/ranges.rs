//! Every blocked range is refused (IPv4, IPv6, and the IPv6 forms embedding a blocked IPv4), public
//! addresses pass, and the allow-list lifts the refusal for the addresses it contains only.

#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use std::net::IpAddr;

use egress::{BlockedRange as B, EgressError, EgressPolicy};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn refusal(policy: &EgressPolicy, addr: &str) -> Option<B> {
    match policy.check_ip(ip(addr)) {
        Ok(()) => None,
        Err(EgressError::Refused(r)) => Some(r),
        Err(other) => panic!("{addr}: unexpected error {other:?}"),
    }
}

/// One address inside each blocked range (both ends where the range is wide), with its expected kind.
const BLOCKED: &[(&str, B)] = &[
    ("0.0.0.0", B::Unspecified),
    ("0.1.2.3", B::ThisNetwork),
    ("0.255.255.255", B::ThisNetwork),
    ("127.0.0.1", B::Loopback),
    ("127.255.255.254", B::Loopback),
    ("10.0.0.1", B::Private),
    ("10.255.255.255", B::Private),
    ("172.16.0.1", B::Private),
    ("172.31.255.254", B::Private),
    ("192.168.0.1", B::Private),
    ("192.168.255.255", B::Private),
    ("100.64.0.1", B::SharedAddressSpace),
    ("100.127.255.254", B::SharedAddressSpace),
    ("169.254.0.1", B::LinkLocal),
    ("169.254.255.254", B::LinkLocal),
    ("169.254.169.254", B::CloudMetadata),
    ("100.100.100.200", B::CloudMetadata),
    ("192.0.0.192", B::CloudMetadata),
    ("192.0.0.8", B::Reserved),
    ("192.0.2.10", B::Documentation),
    ("198.51.100.7", B::Documentation),
    ("203.0.113.9", B::Documentation),
    ("198.18.0.1", B::Benchmarking),
    ("198.19.255.254", B::Benchmarking),
    ("224.0.0.1", B::Multicast),
    ("239.255.255.250", B::Multicast),
    ("240.0.0.1", B::Reserved),
    ("254.255.255.254", B::Reserved),
    ("255.255.255.255", B::Broadcast),
    // IPv6
    ("::", B::Unspecified),
    ("::1", B::Loopback),
    ("fc00::1", B::UniqueLocal),
    ("fdff:ffff::1", B::UniqueLocal),
    ("fd00:ec2::254", B::CloudMetadata),
    ("fe80::1", B::LinkLocal),
    ("febf:ffff::1", B::LinkLocal),
    ("fec0::1", B::Reserved),
    ("ff02::1", B::Multicast),
    ("ff0e::1", B::Multicast),
    ("100::1", B::Reserved),
    ("2001:db8::1", B::Documentation),
    ("2001::1", B::Tunnel),
    ("64:ff9b:1::1", B::Tunnel),
    // IPv6 forms of blocked IPv4 addresses are judged by the IPv4 they carry.
    ("::ffff:127.0.0.1", B::Loopback),
    ("::ffff:10.0.0.1", B::Private),
    ("::ffff:169.254.169.254", B::CloudMetadata),
    ("::ffff:0.0.0.0", B::Unspecified),
    ("::127.0.0.1", B::Loopback),
    ("::192.168.1.1", B::Private),
    ("64:ff9b::127.0.0.1", B::Loopback),
    ("64:ff9b::a9fe:a9fe", B::CloudMetadata),
    ("64:ff9b::100.64.0.1", B::SharedAddressSpace),
    ("2002:7f00:1::", B::Loopback),
    ("2002:a9fe:a9fe::1", B::CloudMetadata),
    ("2002:c0a8:101::1", B::Private),
];

#[test]
fn every_blocked_range_is_refused_with_its_kind() {
    let strict = EgressPolicy::default();
    for (addr, kind) in BLOCKED {
        assert_eq!(refusal(&strict, addr), Some(*kind), "{addr}");
    }
}

#[test]
fn public_addresses_pass() {
    let strict = EgressPolicy::default();
    for addr in [
        "1.1.1.1",
        "8.8.8.8",
        "93.184.216.34",
        "172.15.255.255",
        "172.32.0.1",
        "100.63.255.255",
        "100.128.0.1",
        "192.167.255.255",
        "169.253.255.255",
        "223.255.255.255",
        "2606:4700:4700::1111",
        "2a00:1450:4007:80f::200e",
        "::ffff:8.8.8.8",
        "64:ff9b::8.8.8.8",
        "2002:808:808::1",
    ] {
        assert_eq!(refusal(&strict, addr), None, "{addr}");
    }
}

#[test]
fn the_allow_list_lifts_the_refusal_for_its_addresses_only() {
    let policy =
        EgressPolicy::parse_allow_list(" 127.0.0.1/32, 10.20.0.0/16 ,,fd12:3456::/32,192.168.1.7")
            .unwrap();
    for addr in [
        "127.0.0.1",
        "::ffff:127.0.0.1",
        "10.20.0.1",
        "10.20.255.255",
        "fd12:3456::1",
        "192.168.1.7",
    ] {
        assert_eq!(refusal(&policy, addr), None, "{addr} is allow-listed");
    }
    for (addr, kind) in [
        ("127.0.0.2", B::Loopback),
        ("10.21.0.1", B::Private),
        ("192.168.1.8", B::Private),
        ("fd12:3457::1", B::UniqueLocal),
        ("169.254.169.254", B::CloudMetadata),
        ("::1", B::Loopback),
    ] {
        assert_eq!(refusal(&policy, addr), Some(kind), "{addr} is not");
    }
}

#[test]
fn a_bad_allow_list_item_is_named() {
    let err = EgressPolicy::parse_allow_list("10.0.0.0/8, 300.1.1.0/24").unwrap_err();
    assert!(err.to_string().contains("300.1.1.0/24"), "{err}");
    assert!(EgressPolicy::parse_allow_list("10.0.0.0/33").is_err());
    assert!(
        EgressPolicy::parse_allow_list("")
            .unwrap()
            .allowed()
            .is_empty()
    );
}

#[tokio::test]
async fn names_are_checked_after_resolution_and_literals_without_lookup() {
    let strict = EgressPolicy::default();
    for host in [
        "localhost",
        "127.0.0.1",
        "[::1]",
        "::1",
        "169.254.169.254",
        "10.0.0.1",
    ] {
        let err = strict.resolve(host, 993).await.unwrap_err();
        assert!(matches!(err, EgressError::Refused(_)), "{host}: {err:?}");
        let text = err.to_string();
        for leaked in ["127.0.0.1", "::1", "169.254", "10.0.0.1"] {
            assert!(!text.contains(leaked), "{host}: {text}");
        }
    }
    assert!(matches!(
        strict.resolve("", 993).await.unwrap_err(),
        EgressError::InvalidHost
    ));
    let loopback = EgressPolicy::parse_allow_list("127.0.0.0/8,::1/128").unwrap();
    let addrs = loopback.resolve("localhost", 993).await.unwrap();
    assert!(
        addrs
            .iter()
            .all(|a| a.ip().is_loopback() && a.port() == 993)
    );
}

#[tokio::test]
async fn connect_tcp_reaches_only_allowed_listeners() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let timeout = std::time::Duration::from_secs(2);
    let strict = EgressPolicy::default();
    let err = strict
        .connect_tcp("127.0.0.1", port, timeout)
        .await
        .unwrap_err();
    assert!(matches!(err, EgressError::Refused(B::Loopback)), "{err:?}");
    let allowed = EgressPolicy::parse_allow_list("127.0.0.1/32").unwrap();
    let stream = allowed
        .connect_tcp("127.0.0.1", port, timeout)
        .await
        .unwrap();
    assert_eq!(stream.peer_addr().unwrap().port(), port);
}
