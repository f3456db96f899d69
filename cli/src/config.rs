//! Where the CLI keeps its state: the config directory (the platform's, or
//! `REDIS_HACK_CONFIG_DIR`), holding `credentials.json` (the token; mode 0600)
//! and `list-cache.json` (the last list with its ETag).

use anyhow::Context as _;
use redis_hack_shared::SubscriptionsResponse;
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use std::path::{Path, PathBuf};

/// The token of a verified address on one server.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Credentials {
    pub server: String,
    pub email: String,
    pub token: String,
}

/// The last successful list, to show on a 304.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ListCache {
    pub server: String,
    pub etag: String,
    pub response: SubscriptionsResponse,
}

/// The last `slots` answer for one query, to show on a 304.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SlotsCache {
    pub server: String,
    pub query: Option<u32>,
    pub etag: String,
    pub response: redis_hack_shared::SlotsResponse,
}

/// The files of the config directory.
pub struct Paths {
    dir: PathBuf,
}

impl Paths {
    pub fn resolve() -> anyhow::Result<Self> {
        if let Some(dir) = std::env::var_os("REDIS_HACK_CONFIG_DIR").filter(|d| !d.is_empty()) {
            return Ok(Self { dir: dir.into() });
        }
        let dirs = directories::ProjectDirs::from("", "", "redis-hack")
            .context("cannot find a home directory for the config; set REDIS_HACK_CONFIG_DIR")?;
        Ok(Self {
            dir: dirs.config_dir().to_owned(),
        })
    }

    pub fn at(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    fn credentials(&self) -> PathBuf {
        self.dir.join("credentials.json")
    }

    fn cache(&self) -> PathBuf {
        self.dir.join("list-cache.json")
    }

    fn slots_cache(&self) -> PathBuf {
        self.dir.join("slots-cache.json")
    }

    pub fn load_slots_cache(&self) -> Option<SlotsCache> {
        read_json(&self.slots_cache()).unwrap_or(None)
    }

    pub fn save_slots_cache(&self, cache: &SlotsCache) -> anyhow::Result<()> {
        write_private(&self.slots_cache(), &serde_json::to_vec(cache)?)
    }

    pub fn load_credentials(&self) -> anyhow::Result<Option<Credentials>> {
        read_json(&self.credentials())
    }

    pub fn save_credentials(&self, creds: &Credentials) -> anyhow::Result<()> {
        write_private(&self.credentials(), &serde_json::to_vec_pretty(creds)?)
    }

    pub fn load_cache(&self) -> anyhow::Result<Option<ListCache>> {
        // A cache we cannot read is only a missed shortcut.
        Ok(read_json(&self.cache()).unwrap_or(None))
    }

    pub fn save_cache(&self, cache: &ListCache) -> anyhow::Result<()> {
        write_private(&self.cache(), &serde_json::to_vec(cache)?)
    }

    /// Removes the token and the cache; returns whether a token was there.
    pub fn forget(&self) -> anyhow::Result<bool> {
        let had = self.credentials().exists();
        for path in [self.credentials(), self.cache(), self.slots_cache()] {
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(e).with_context(|| format!("cannot remove {}", path.display()));
                }
            }
        }
        Ok(had)
    }
}

fn read_json<T: DeserializeOwned>(path: &Path) -> anyhow::Result<Option<T>> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .with_context(|| format!("{} is damaged; delete it and verify again", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Writes a file only its owner can read, created with that mode (never
/// readable by others, not even for a moment).
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let dir = path.parent().context("a config file has a directory")?;
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .with_context(|| format!("cannot create {}", dir.display()))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        // An older file keeps its mode on open; tighten it first.
        if path.exists() {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        }
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(bytes)
        .with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_paths() -> (Paths, PathBuf) {
        let dir = std::env::temp_dir().join(format!(
            "rh-cfg-test-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        (Paths::at(&dir), dir)
    }

    #[test]
    fn credentials_are_saved_readable_by_the_owner_only_and_forgotten() {
        let (paths, dir) = temp_paths();
        let creds = Credentials {
            server: "http://s".into(),
            email: "a@b.in".into(),
            token: "rh_x".into(),
        };
        paths.save_credentials(&creds).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join("credentials.json"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(paths.load_credentials().unwrap().unwrap().token, "rh_x");
        assert!(paths.forget().unwrap());
        assert!(paths.load_credentials().unwrap().is_none());
        assert!(!paths.forget().unwrap(), "forgetting twice is fine");
        std::fs::remove_dir_all(dir).ok();
    }
}
