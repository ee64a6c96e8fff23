//! Where Switchboard keeps its files. `SWITCHBOARD_HOME=<dir>` puts config and data under one directory so
//! that instances, tests and scripts stay isolated; otherwise the OS config and data directories are used.

use std::path::{Path, PathBuf};

pub const HOME_ENV: &str = "SWITCHBOARD_HOME";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Home {
    pub config_dir: PathBuf,
    pub data_dir: PathBuf,
}

impl Home {
    /// Reads `SWITCHBOARD_HOME`, falling back to the OS directories.
    pub fn from_env() -> Result<Home, String> {
        match std::env::var_os(HOME_ENV) {
            Some(dir) if !dir.is_empty() => Ok(Home::under(Path::new(&dir))),
            _ => {
                let config = dirs::config_dir().ok_or("the OS has no config directory for this user")?;
                let data = dirs::data_dir().ok_or("the OS has no data directory for this user")?;
                Ok(Home { config_dir: config.join("switchboard"), data_dir: data.join("switchboard") })
            }
        }
    }

    /// Config and data in subdirectories of one directory.
    pub fn under(dir: &Path) -> Home {
        Home { config_dir: dir.join("config"), data_dir: dir.join("data") }
    }

    pub fn config_file(&self) -> PathBuf {
        self.config_dir.join("config.toml")
    }

    pub fn cache_file(&self) -> PathBuf {
        self.data_dir.join("cache.db")
    }

    /// The keyring account that holds this home's cache key; one key per data directory.
    pub fn cache_key_account(&self) -> String {
        format!("cache-key:{}", self.data_dir.display())
    }
}
