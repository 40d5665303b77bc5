//! Who is acting: every action takes an [`Actor`] and checks what it may do.

use crate::users::User;

/// Whoever asks for a change.
#[derive(Debug, Clone)]
pub enum Actor {
    /// A reader without an account: known only by a keyed hash of their IP address and the user
    /// agent their browser or client sent.
    Reader(Reader),
    /// A signed-in member of staff (through a session or an API token).
    Staff(User),
    /// Dateline itself: first-start preparation, background jobs, and commands run by whoever
    /// operates the server (who can read the database anyway).
    System,
    /// Content brought in from another system (a WordPress or Disqus export); `source` names it.
    Importer {
        /// Where the content comes from ("wordpress", "disqus").
        source: String,
    },
}

/// What is known about an anonymous reader.
#[derive(Debug, Clone)]
pub struct Reader {
    /// Keyed hash of the reader's IP address (see `secrets::keyed_hash`).
    pub ip_hash: String,
    /// Keyed hash of the reader's network: the address itself for IPv4, its /64 for IPv6 (one
    /// household or machine holds a whole /64), which rate limits count by.
    pub network_hash: String,
    /// The `User-Agent` header, cut to 500 characters.
    pub user_agent: Option<String>,
}

/// The network a rate limit counts an address by: the address itself for IPv4 (an IPv4-mapped
/// IPv6 address is its IPv4 one), the /64 for IPv6, which one machine or household holds whole.
pub fn network_of(ip: std::net::IpAddr) -> String {
    match ip {
        std::net::IpAddr::V4(v4) => v4.to_string(),
        std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

impl Reader {
    /// A reader from their hashed address and network and raw user agent.
    pub fn new(ip_hash: String, network_hash: String, user_agent: Option<&str>) -> Self {
        Reader {
            ip_hash,
            network_hash,
            user_agent: user_agent.map(|ua| ua.chars().take(500).collect()),
        }
    }
}

impl Actor {
    /// A reader known by nothing: for deciding what a request without credentials may read.
    /// A reader who writes (comments) is made with their address instead.
    pub fn anonymous() -> Self {
        Actor::Reader(Reader {
            ip_hash: String::new(),
            network_hash: String::new(),
            user_agent: None,
        })
    }

    /// The staff account behind this actor, if there is one.
    pub fn user(&self) -> Option<&User> {
        match self {
            Actor::Staff(u) => Some(u),
            _ => None,
        }
    }

    /// How the activity log names this actor: never an IP hash or a user agent.
    pub fn reference(&self) -> ActorRef {
        match self {
            Actor::Reader(_) => ActorRef {
                kind: ActorKind::Reader,
                id: None,
            },
            Actor::Staff(u) => ActorRef {
                kind: ActorKind::User,
                id: Some(u.id),
            },
            Actor::System => ActorRef {
                kind: ActorKind::System,
                id: None,
            },
            Actor::Importer { .. } => ActorRef {
                kind: ActorKind::Importer,
                id: None,
            },
        }
    }
}

/// The kind of actor recorded with an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ActorKind {
    /// A staff account; the reference carries its id.
    User,
    /// An anonymous reader.
    Reader,
    /// Dateline itself.
    System,
    /// An import.
    Importer,
}

impl ActorKind {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::User => "user",
            ActorKind::Reader => "reader",
            ActorKind::System => "system",
            ActorKind::Importer => "importer",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "user" => Some(ActorKind::User),
            "reader" => Some(ActorKind::Reader),
            "system" => Some(ActorKind::System),
            "importer" => Some(ActorKind::Importer),
            _ => None,
        }
    }
}

/// An actor as the activity log records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ActorRef {
    /// Which kind of actor.
    #[serde(rename = "type")]
    pub kind: ActorKind,
    /// The user id, for staff.
    pub id: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv6_network_is_its_slash_64() {
        let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
        assert_eq!(
            network_of(ip("2001:db8:1:2:aaaa::1")),
            network_of(ip("2001:db8:1:2:ffff:ffff:ffff:ffff"))
        );
        assert_ne!(
            network_of(ip("2001:db8:1:2::1")),
            network_of(ip("2001:db8:1:3::1"))
        );
        assert_eq!(
            network_of(ip("::ffff:192.0.2.7")),
            network_of(ip("192.0.2.7"))
        );
        assert_ne!(network_of(ip("192.0.2.7")), network_of(ip("192.0.2.8")));
    }
}
