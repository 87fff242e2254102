//! The address ranges no outbound connection may reach, unless the operator's allow-list contains the
//! address: everything that is not the public Internet (loopback, private, link-local with the cloud
//! metadata services, multicast, reserved…). IPv6 forms that embed an IPv4 address (mapped, compatible,
//! NAT64, 6to4) are judged by the address they embed.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{Ipv4Net, Ipv6Net};

/// Why an address is refused. The text names the kind of range, never the address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockedRange {
    /// `0.0.0.0`, `::`.
    Unspecified,
    /// `0.0.0.0/8` ("this network").
    ThisNetwork,
    /// `127.0.0.0/8`, `::1`.
    Loopback,
    /// RFC 1918: `10/8`, `172.16/12`, `192.168/16`.
    Private,
    /// `100.64.0.0/10` (carrier-grade NAT, RFC 6598; Alibaba's metadata service lives there).
    SharedAddressSpace,
    /// `169.254.0.0/16`, `fe80::/10`.
    LinkLocal,
    /// Cloud metadata services: `169.254.169.254`, `fd00:ec2::254`, `100.100.100.200`, `192.0.0.192`.
    CloudMetadata,
    /// `224.0.0.0/4`, `ff00::/8`.
    Multicast,
    /// `255.255.255.255`.
    Broadcast,
    /// `240.0.0.0/4`, `192.0.0.0/24`, `fec0::/10`, `100::/64` and other ranges reserved by the IETF.
    Reserved,
    /// `192.0.2/24`, `198.51.100/24`, `203.0.113/24`, `2001:db8::/32`.
    Documentation,
    /// `198.18.0.0/15`.
    Benchmarking,
    /// `fc00::/7` (IPv6 unique local addresses, the IPv6 private networks).
    UniqueLocal,
    /// Tunnels whose embedded address cannot be checked: Teredo `2001::/32`, local-use NAT64 `64:ff9b:1::/48`.
    Tunnel,
}

impl BlockedRange {
    /// A short stable name (`loopback`, `private`…), for logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unspecified => "unspecified",
            Self::ThisNetwork => "this_network",
            Self::Loopback => "loopback",
            Self::Private => "private",
            Self::SharedAddressSpace => "shared_address_space",
            Self::LinkLocal => "link_local",
            Self::CloudMetadata => "cloud_metadata",
            Self::Multicast => "multicast",
            Self::Broadcast => "broadcast",
            Self::Reserved => "reserved",
            Self::Documentation => "documentation",
            Self::Benchmarking => "benchmarking",
            Self::UniqueLocal => "unique_local",
            Self::Tunnel => "tunnel",
        }
    }
}

impl fmt::Display for BlockedRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Unspecified => "unspecified",
            Self::ThisNetwork => "\"this network\"",
            Self::Loopback => "loopback",
            Self::Private => "private network",
            Self::SharedAddressSpace => "carrier-grade NAT",
            Self::LinkLocal => "link-local",
            Self::CloudMetadata => "cloud metadata service",
            Self::Multicast => "multicast",
            Self::Broadcast => "broadcast",
            Self::Reserved => "reserved",
            Self::Documentation => "documentation",
            Self::Benchmarking => "benchmarking",
            Self::UniqueLocal => "IPv6 unique local",
            Self::Tunnel => "IPv6 tunnel",
        })
    }
}

const fn v4(a: u8, b: u8, c: u8, d: u8, len: u8) -> Ipv4Net {
    Ipv4Net::new_assert(Ipv4Addr::new(a, b, c, d), len)
}

#[expect(
    clippy::too_many_arguments,
    reason = "the eight groups of an IPv6 address, as Ipv6Addr::new takes them"
)]
const fn v6(a: u16, b: u16, c: u16, d: u16, e: u16, f: u16, g: u16, h: u16, len: u8) -> Ipv6Net {
    Ipv6Net::new_assert(Ipv6Addr::new(a, b, c, d, e, f, g, h), len)
}

/// IPv4 ranges, most specific first (the metadata addresses inside wider ranges come before them).
const V4: &[(Ipv4Net, BlockedRange)] = &[
    (v4(0, 0, 0, 0, 32), BlockedRange::Unspecified),
    (v4(255, 255, 255, 255, 32), BlockedRange::Broadcast),
    (v4(169, 254, 169, 254, 32), BlockedRange::CloudMetadata),
    (v4(100, 100, 100, 200, 32), BlockedRange::CloudMetadata),
    (v4(192, 0, 0, 192, 32), BlockedRange::CloudMetadata),
    (v4(0, 0, 0, 0, 8), BlockedRange::ThisNetwork),
    (v4(10, 0, 0, 0, 8), BlockedRange::Private),
    (v4(100, 64, 0, 0, 10), BlockedRange::SharedAddressSpace),
    (v4(127, 0, 0, 0, 8), BlockedRange::Loopback),
    (v4(169, 254, 0, 0, 16), BlockedRange::LinkLocal),
    (v4(172, 16, 0, 0, 12), BlockedRange::Private),
    (v4(192, 0, 0, 0, 24), BlockedRange::Reserved),
    (v4(192, 0, 2, 0, 24), BlockedRange::Documentation),
    (v4(192, 88, 99, 0, 24), BlockedRange::Reserved),
    (v4(192, 168, 0, 0, 16), BlockedRange::Private),
    (v4(198, 18, 0, 0, 15), BlockedRange::Benchmarking),
    (v4(198, 51, 100, 0, 24), BlockedRange::Documentation),
    (v4(203, 0, 113, 0, 24), BlockedRange::Documentation),
    (v4(224, 0, 0, 0, 4), BlockedRange::Multicast),
    (v4(240, 0, 0, 0, 4), BlockedRange::Reserved),
];

/// IPv6 ranges that embed no IPv4 address, most specific first.
const V6: &[(Ipv6Net, BlockedRange)] = &[
    (v6(0, 0, 0, 0, 0, 0, 0, 0, 128), BlockedRange::Unspecified),
    (v6(0, 0, 0, 0, 0, 0, 0, 1, 128), BlockedRange::Loopback),
    (
        v6(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254, 128),
        BlockedRange::CloudMetadata,
    ),
    (v6(0x64, 0xff9b, 1, 0, 0, 0, 0, 0, 48), BlockedRange::Tunnel),
    (v6(0x100, 0, 0, 0, 0, 0, 0, 0, 64), BlockedRange::Reserved),
    (v6(0x2001, 0, 0, 0, 0, 0, 0, 0, 32), BlockedRange::Tunnel),
    (
        v6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0, 32),
        BlockedRange::Documentation,
    ),
    (
        v6(0x3fff, 0, 0, 0, 0, 0, 0, 0, 20),
        BlockedRange::Documentation,
    ),
    (
        v6(0xfc00, 0, 0, 0, 0, 0, 0, 0, 7),
        BlockedRange::UniqueLocal,
    ),
    (v6(0xfe80, 0, 0, 0, 0, 0, 0, 0, 10), BlockedRange::LinkLocal),
    (v6(0xfec0, 0, 0, 0, 0, 0, 0, 0, 10), BlockedRange::Reserved),
    (v6(0xff00, 0, 0, 0, 0, 0, 0, 0, 8), BlockedRange::Multicast),
];

/// The IPv4 address an IPv6 address carries, for the forms that route to it: IPv4-mapped
/// (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`, deprecated), NAT64 (`64:ff9b::a.b.c.d`) and 6to4
/// (`2002:AABB:CCDD::/48`).
pub fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let last = |hi: u16, lo: u16| {
        let [a, b] = hi.to_be_bytes();
        let [c, d] = lo.to_be_bytes();
        Ipv4Addr::new(a, b, c, d)
    };
    match s {
        [0, 0, 0, 0, 0, 0xffff, hi, lo] => Some(last(hi, lo)),
        // `::` and `::1` are themselves, not IPv4-compatible forms of 0.0.0.0 and 0.0.0.1.
        [0, 0, 0, 0, 0, 0, hi, lo] if (hi, lo) != (0, 0) && (hi, lo) != (0, 1) => {
            Some(last(hi, lo))
        }
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => Some(last(hi, lo)),
        [0x2002, hi, lo, ..] => Some(last(hi, lo)),
        _ => None,
    }
}

/// The range that makes `ip` unreachable, or `None` for a public address.
pub fn blocked_range(ip: IpAddr) -> Option<BlockedRange> {
    match ip {
        IpAddr::V4(v4) => V4
            .iter()
            .find(|(net, _)| net.contains(&v4))
            .map(|(_, r)| *r),
        IpAddr::V6(v6) => {
            if let Some(inner) = embedded_v4(v6) {
                return blocked_range(IpAddr::V4(inner));
            }
            V6.iter()
                .find(|(net, _)| net.contains(&v6))
                .map(|(_, r)| *r)
        }
    }
}
