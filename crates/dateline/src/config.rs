//! Configuration in layers: built-in defaults, then an optional `dateline.toml`, then
//! `DATELINE_*` environment variables and command-line flags (clap reads both; a flag wins).

use std::{
    net::{SocketAddr, ToSocketAddrs},
    path::{Path, PathBuf},
};

use serde::Deserialize;

use crate::Fallible;

/// Where the site keeps its data and how it connects to its database.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SiteArgs {
    /// Data folder: the SQLite database and uploaded media [default: ./dateline-data]
    #[arg(long, env = "DATELINE_DATA", global = true, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Database URL; a postgres:// URL selects PostgreSQL [default: the SQLite file in the data folder]
    #[arg(
        long,
        env = "DATELINE_DATABASE_URL",
        global = true,
        value_name = "URL",
        hide_env_values = true
    )]
    pub database: Option<String>,
    /// Folder of uploaded media, shared by every process of the site [default: DATA/media]
    #[arg(long, env = "DATELINE_MEDIA_DIR", global = true, value_name = "DIR")]
    pub media_dir: Option<PathBuf>,
    /// Configuration file [default: ./dateline.toml if it exists]
    #[arg(long, env = "DATELINE_CONFIG", global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// Options of `dateline serve`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on, HOST:PORT with an IP address or a host name [default: 127.0.0.1:8080]
    #[arg(long, env = "DATELINE_BIND", value_name = "ADDR")]
    pub bind: Option<String>,
    /// Public address of the site, for absolute links [default: http://BIND]
    #[arg(long, env = "DATELINE_BASE_URL", value_name = "URL")]
    pub base_url: Option<String>,
    /// Theme folder whose templates/ and static/ override the built-in theme
    #[arg(long, env = "DATELINE_THEME", value_name = "DIR")]
    pub theme: Option<PathBuf>,
    /// Time zone for dates on pages on a new site, e.g. America/Los_Angeles (later changes are made in the site's settings, which this does not overrule)
    #[arg(long, env = "DATELINE_TIME_ZONE", value_name = "TZ")]
    pub time_zone: Option<String>,
    /// Serve /metrics to every client, not only to loopback ones
    #[arg(long, env = "DATELINE_METRICS_PUBLIC")]
    pub metrics_public: bool,
    /// Origins that may show the site's pages in a frame, comma-separated [default: none]
    #[arg(
        long,
        env = "DATELINE_FRAME_ANCESTORS",
        value_name = "ORIGINS",
        value_delimiter = ','
    )]
    pub frame_ancestors: Option<Vec<String>>,
    /// Origins whose pages may read the public API from a browser, comma-separated; * for any,
    /// none for none [default: *]
    #[arg(
        long,
        env = "DATELINE_CORS_ORIGINS",
        value_name = "ORIGINS",
        value_delimiter = ','
    )]
    pub cors_origins: Option<Vec<String>>,
    /// Seconds a connection has to send a request head, from its opening or its previous response [default: 10]
    #[arg(long, env = "DATELINE_HEADER_TIMEOUT", value_name = "SECS")]
    pub header_timeout: Option<u64>,
    /// Seconds a connection may stay open with nothing moving either way [default: 60]
    #[arg(long, env = "DATELINE_IDLE_TIMEOUT", value_name = "SECS")]
    pub idle_timeout: Option<u64>,
    /// Connections open at once; more are answered 503 [default: 4096]
    #[arg(long, env = "DATELINE_MAX_CONNECTIONS", value_name = "N")]
    pub max_connections: Option<usize>,
    /// Connections open at once from one address, 0 for no cap (raise it behind a proxy) [default: 256]
    #[arg(long, env = "DATELINE_MAX_CONNECTIONS_PER_ADDRESS", value_name = "N")]
    pub max_connections_per_address: Option<usize>,
    /// Most pixels (width × height) an uploaded image may have [default: 30000000]
    #[arg(long, env = "DATELINE_MAX_IMAGE_PIXELS", value_name = "N")]
    pub max_image_pixels: Option<u64>,
    /// Largest file an upload may be, in megabytes [default: 20]
    #[arg(long, env = "DATELINE_MAX_UPLOAD_MB", value_name = "MB")]
    pub max_upload_mb: Option<usize>,
    /// Most frames an uploaded GIF may have [default: 1000]
    #[arg(long, env = "DATELINE_MAX_GIF_FRAMES", value_name = "N")]
    pub max_gif_frames: Option<usize>,
    /// Failed API authentications allowed per address a minute before it is answered 429 [default: 10]
    #[arg(long, env = "DATELINE_AUTH_FAILURES_PER_MINUTE", value_name = "N")]
    pub auth_failures_per_minute: Option<u32>,
    /// Load balancers whose X-Forwarded-For names the client, comma-separated addresses or networks (10.0.0.0/8) [default: none]
    #[arg(
        long,
        env = "DATELINE_TRUSTED_PROXIES",
        value_name = "ADDRS",
        value_delimiter = ','
    )]
    pub trusted_proxies: Option<Vec<String>>,
    /// Memory for rendered public pages kept between requests, in megabytes; 0 keeps none [default: 128]
    #[arg(long, env = "DATELINE_PAGE_CACHE_MB", value_name = "MB")]
    pub page_cache_mb: Option<usize>,
    /// Images decoded at once; further uploads wait [default: the number of CPU cores]
    #[arg(long, env = "DATELINE_IMAGE_DECODERS", value_name = "N")]
    pub image_decoders: Option<usize>,
}

/// `dateline.toml`: every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    data: Option<PathBuf>,
    database_url: Option<String>,
    media_dir: Option<PathBuf>,
    bind: Option<String>,
    base_url: Option<String>,
    theme: Option<PathBuf>,
    time_zone: Option<String>,
    metrics_public: Option<bool>,
    frame_ancestors: Option<Vec<String>>,
    cors_origins: Option<Vec<String>>,
    header_timeout: Option<u64>,
    idle_timeout: Option<u64>,
    max_connections: Option<usize>,
    max_connections_per_address: Option<usize>,
    max_image_pixels: Option<u64>,
    max_upload_mb: Option<usize>,
    max_gif_frames: Option<usize>,
    image_decoders: Option<usize>,
    auth_failures_per_minute: Option<u32>,
    trusted_proxies: Option<Vec<String>>,
    page_cache_mb: Option<usize>,
}

/// The resolved configuration.
#[derive(Clone)]
pub struct Config {
    /// Data folder.
    pub data_dir: PathBuf,
    /// Database URL.
    pub database_url: String,
    /// Listen address.
    pub bind: SocketAddr,
    /// The host name the listen address was given as, if it was a name (`localhost`): links
    /// then use the name rather than the address it resolved to.
    pub bind_host: Option<String>,
    /// Public address, without a trailing slash; `None` means "http://" and the bound address.
    pub base_url: Option<String>,
    /// Theme override folder.
    pub theme_dir: Option<PathBuf>,
    /// The site's time zone on a new site (the stored setting wins once there is one).
    pub time_zone: Option<String>,
    /// Serve metrics to any client.
    pub metrics_public: bool,
    /// Origins that may frame the site's pages.
    pub frame_ancestors: Vec<String>,
    /// Origins that may read the public API from a browser.
    pub cors_origins: Vec<String>,
    /// Connection timeouts and limits.
    pub limits: dateline_web::serve::Limits,
    /// What decoding an upload may cost.
    pub media: dateline_app::media::MediaLimits,
    /// Failed API authentications allowed per address a minute.
    pub auth_failures_per_minute: u32,
    /// A media folder apart from the data folder (one several nodes share).
    pub shared_media: Option<PathBuf>,
    /// Load balancers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: dateline_web::proxy::TrustedProxies,
    /// Bytes of rendered pages kept in memory.
    pub page_cache_bytes: usize,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("data_dir", &self.data_dir)
            .field("database_url", &redact(&self.database_url))
            .field("bind", &self.bind)
            .field("bind_host", &self.bind_host)
            .field("base_url", &self.base_url)
            .field("theme_dir", &self.theme_dir)
            .field("time_zone", &self.time_zone)
            .field("metrics_public", &self.metrics_public)
            .field("frame_ancestors", &self.frame_ancestors)
            .field("cors_origins", &self.cors_origins)
            .field("limits", &self.limits)
            .field("media", &self.media)
            .field("auth_failures_per_minute", &self.auth_failures_per_minute)
            .field("shared_media", &self.shared_media)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("page_cache_bytes", &self.page_cache_bytes)
            .finish()
    }
}

/// Hides a password in a database URL (`postgres://user:secret@host` → `postgres://user:***@host`).
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

impl Config {
    /// Resolves the layers.
    pub fn load(site: &SiteArgs, serve: &ServeArgs) -> Fallible<Self> {
        let file = read_file(site.config.as_deref())?;
        let limits = limits(serve, &file)?;
        let media = media_limits(serve, &file)?;
        let data_dir = site
            .data
            .clone()
            .or(file.data)
            .unwrap_or_else(|| PathBuf::from("dateline-data"));
        let database_url = site.database.clone().or(file.database_url);
        let shared_media = site.media_dir.clone().or(file.media_dir);
        let trusted_proxies = dateline_web::proxy::TrustedProxies::parse(
            &serve
                .trusted_proxies
                .clone()
                .or(file.trusted_proxies.clone())
                .unwrap_or_default(),
        )
        .map_err(|e| format!("trusted_proxies: {e}"))?;
        let time_zone = serve.time_zone.clone().or(file.time_zone);
        if let Some(tz) = &time_zone {
            dateline_core::settings::parse_time_zone("time_zone", tz)?;
        }
        let base_url = serve
            .base_url
            .clone()
            .or(file.base_url)
            .map(|u| u.trim_end_matches('/').to_owned());
        if let Some(u) = &base_url {
            dateline_core::text::parse_web_url("base_url", u)?;
        }
        let theme_dir = serve.theme.clone().or(file.theme);
        if let Some(dir) = &theme_dir
            && !dir.is_dir()
        {
            return Err(format!(
                "the theme folder {} does not exist; pass --theme a folder holding templates/ and static/",
                dir.display()
            )
            .into());
        }
        let (bind, bind_host) = match serve.bind.clone().or(file.bind) {
            Some(text) => resolve_bind(&text)?,
            None => (SocketAddr::from(([127, 0, 0, 1], 8080)), None),
        };
        Ok(Config {
            database_url: match database_url {
                Some(url) => url,
                None => sqlite_url(&data_dir),
            },
            data_dir,
            bind,
            bind_host,
            base_url,
            theme_dir,
            time_zone,
            metrics_public: serve.metrics_public || file.metrics_public.unwrap_or(false),
            frame_ancestors: origins(
                "frame_ancestors",
                serve.frame_ancestors.clone().or(file.frame_ancestors),
                &[],
            )?,
            cors_origins: origins(
                "cors_origins",
                serve.cors_origins.clone().or(file.cors_origins),
                &["*"],
            )?,
            limits,
            media,
            auth_failures_per_minute: serve
                .auth_failures_per_minute
                .or(file.auth_failures_per_minute)
                .unwrap_or(10)
                .max(1),
            shared_media,
            trusted_proxies,
            page_cache_bytes: serve
                .page_cache_mb
                .or(file.page_cache_mb)
                .unwrap_or(128)
                .checked_mul(1024 * 1024)
                .ok_or("page_cache_mb is too large")?,
        })
    }

    /// Folder for uploaded media: `--media-dir`, else the data folder's `media/`.
    pub fn media_dir(&self) -> PathBuf {
        self.shared_media
            .clone()
            .unwrap_or_else(|| self.data_dir.join("media"))
    }

    /// Creates the data folder and its media folder, if they do not exist.
    pub fn create_data_dir(&self) -> Fallible<()> {
        std::fs::create_dir_all(self.media_dir()).map_err(|e| {
            format!(
                "cannot create the data folder {}: {e}",
                self.data_dir.display()
            )
            .into()
        })
    }
}

/// Upload decoding limits from flags, the file and defaults.
fn media_limits(
    serve: &ServeArgs,
    file: &FileConfig,
) -> Fallible<dateline_app::media::MediaLimits> {
    let d = dateline_app::media::MediaLimits::default();
    let m = dateline_app::media::MediaLimits {
        max_pixels: serve
            .max_image_pixels
            .or(file.max_image_pixels)
            .unwrap_or(d.max_pixels),
        max_gif_frames: serve
            .max_gif_frames
            .or(file.max_gif_frames)
            .unwrap_or(d.max_gif_frames),
        concurrent_decodes: serve
            .image_decoders
            .or(file.image_decoders)
            .unwrap_or(d.concurrent_decodes),
        max_upload_bytes: match serve.max_upload_mb.or(file.max_upload_mb) {
            Some(mb) => mb
                .checked_mul(1024 * 1024)
                .ok_or("max_upload_mb is too large")?,
            None => d.max_upload_bytes,
        },
    };
    if m.max_pixels == 0
        || m.max_gif_frames == 0
        || m.concurrent_decodes == 0
        || m.max_upload_bytes == 0
    {
        return Err(
            "max_image_pixels, max_upload_mb, max_gif_frames and image_decoders must be at least 1"
                .into(),
        );
    }
    Ok(m)
}

/// Connection limits from flags, the file and defaults.
fn limits(serve: &ServeArgs, file: &FileConfig) -> Fallible<dateline_web::serve::Limits> {
    let d = dateline_web::serve::Limits::default();
    let secs = |name: &str, v: Option<u64>, default: std::time::Duration| match v {
        None => Ok(default),
        Some(0) => Err(format!("{name} must be at least 1 second")),
        Some(s) => Ok(std::time::Duration::from_secs(s)),
    };
    let max_connections = serve
        .max_connections
        .or(file.max_connections)
        .unwrap_or(d.max_connections);
    if max_connections == 0 {
        return Err("max_connections must be at least 1".into());
    }
    Ok(dateline_web::serve::Limits {
        header_timeout: secs(
            "header_timeout",
            serve.header_timeout.or(file.header_timeout),
            d.header_timeout,
        )?,
        idle_timeout: secs(
            "idle_timeout",
            serve.idle_timeout.or(file.idle_timeout),
            d.idle_timeout,
        )?,
        max_connections,
        max_per_address: serve
            .max_connections_per_address
            .or(file.max_connections_per_address)
            .unwrap_or(d.max_per_address),
    })
}

/// A list of origins (`https://partner.example`), `*`, or `none`; `default` when not given.
fn origins(name: &str, given: Option<Vec<String>>, default: &[&str]) -> Fallible<Vec<String>> {
    let Some(list) = given else {
        return Ok(default.iter().map(|s| (*s).to_owned()).collect());
    };
    let mut out = Vec::new();
    for o in list.iter().map(|o| o.trim().trim_end_matches('/')) {
        match o {
            "" | "none" => {}
            "*" => out.push("*".to_owned()),
            _ => {
                let host = o
                    .strip_prefix("https://")
                    .or_else(|| o.strip_prefix("http://"));
                let ok = host.is_some_and(|h| {
                    !h.is_empty()
                        && !h.contains(['/', '?', '#'])
                        && !h.contains(char::is_whitespace)
                });
                if !ok {
                    return Err(format!(
                        "{name}: {o:?} is not an origin; use scheme://host[:port], such as https://partner.example"
                    )
                    .into());
                }
                out.push(o.to_owned());
            }
        }
    }
    Ok(out)
}

/// Reads a listen address: `IP:PORT`, `[IPv6]:PORT`, or `NAME:PORT` resolved now (an IPv4
/// address preferred, as browsers try it first for `localhost`).
fn resolve_bind(text: &str) -> Fallible<(SocketAddr, Option<String>)> {
    let text = text.trim();
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok((addr, None));
    }
    let bad = || {
        format!(
            "cannot listen on {text:?}: use HOST:PORT, such as 127.0.0.1:8080 or localhost:8080"
        )
    };
    let (host, port) = text.rsplit_once(':').ok_or_else(bad)?;
    port.parse::<u16>().map_err(|_| bad())?;
    let addrs: Vec<SocketAddr> = text
        .to_socket_addrs()
        .map_err(|e| {
            format!("cannot listen on {text}: the host name {host} does not resolve ({e})")
        })?
        .collect();
    let addr = addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or_else(|| addrs.first())
        .copied()
        .ok_or_else(|| format!("cannot listen on {text}: the host name {host} has no address"))?;
    Ok((addr, Some(host.to_owned())))
}

/// The URL of the SQLite database inside a data folder.
pub fn sqlite_url(data_dir: &Path) -> String {
    format!(
        "sqlite://{}?mode=rwc",
        data_dir.join("dateline.db").display()
    )
}

fn read_file(explicit: Option<&Path>) -> Fallible<FileConfig> {
    let (path, required) = match explicit {
        Some(p) => (p.to_path_buf(), true),
        None => (PathBuf::from("dateline.toml"), false),
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()).into()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
            Ok(FileConfig::default())
        }
        Err(e) => Err(format!("cannot read {}: {e}", path.display()).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://dl:s3cret@db:5432/x"),
            "postgres://dl:***@db:5432/x"
        );
        assert_eq!(redact("postgres://dl@db/x"), "postgres://dl@db/x");
        assert_eq!(redact("sqlite://a.db"), "sqlite://a.db");
    }

    #[test]
    fn flags_beat_the_file_which_beats_defaults() {
        let dir = std::env::temp_dir().join(format!("dateline-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("dateline.toml");
        std::fs::write(
            &file,
            "bind = \"127.0.0.1:9999\"\ntime_zone = \"Europe/Paris\"\n",
        )
        .unwrap();
        let site = SiteArgs {
            config: Some(file.clone()),
            ..Default::default()
        };
        let from_file = Config::load(&site, &ServeArgs::default()).unwrap();
        assert_eq!(from_file.bind.port(), 9999);
        assert_eq!(from_file.time_zone.as_deref(), Some("Europe/Paris"));
        assert!(
            from_file
                .database_url
                .starts_with("sqlite://dateline-data/")
        );
        let serve = ServeArgs {
            bind: Some("127.0.0.1:7000".to_owned()),
            ..Default::default()
        };
        assert_eq!(Config::load(&site, &serve).unwrap().bind.port(), 7000);
        let named = ServeArgs {
            bind: Some("localhost:7001".to_owned()),
            ..Default::default()
        };
        let named = Config::load(&site, &named).unwrap();
        assert!(named.bind.ip().is_loopback());
        assert_eq!(
            (named.bind.port(), named.bind_host.as_deref()),
            (7001, Some("localhost"))
        );
        for bad in ["localhost", "localhost:port"] {
            let serve = ServeArgs {
                bind: Some(bad.to_owned()),
                ..Default::default()
            };
            assert!(Config::load(&site, &serve).is_err(), "{bad}");
        }
        let missing_theme = ServeArgs {
            theme: Some(dir.join("no-such-theme")),
            ..Default::default()
        };
        let e = Config::load(&site, &missing_theme).unwrap_err().to_string();
        assert!(e.contains("does not exist"), "{e}");
        std::fs::write(&file, "time_zone = \"Mars/Olympus\"\n").unwrap();
        assert!(Config::load(&site, &ServeArgs::default()).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
