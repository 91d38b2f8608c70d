//! An image's own configuration, the part of it the fixes can use: its user, volumes, exposed
//! ports, entrypoint and command, the names of its environment variables and its labels.
//!
//! The local engine (`docker image inspect`, its `Config` object) and a registry (the OCI image
//! config blob, its `config` object) give the same object with the same keys, read here once.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Where an image's config came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// The local Docker engine (`docker image inspect`).
    Engine,
    /// A registry (the OCI distribution API).
    Registry,
}

/// The facts of an image's config that fixes use.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageConfig {
    /// The image's id or manifest digest (`sha256:...`), what the facts are of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// `User`, as written (`postgres`, `1000`, `1000:1000`); None when empty (root).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// `Volumes`: the container paths the image declares as volumes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<String>,
    /// `ExposedPorts`, as `5432/tcp`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exposed_ports: Vec<String>,
    /// `Entrypoint`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entrypoint: Vec<String>,
    /// `Cmd`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cmd: Vec<String>,
    /// The names of `Env` (values are left out: they can be long and are not facts fixes use).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<String>,
    /// `Labels`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

impl ImageConfig {
    /// Reads the config object (`Config` of `docker image inspect`, `config` of an OCI image
    /// config blob). Missing or null keys are empty; keys of the wrong type are ignored.
    pub fn from_config(config: &Value, digest: Option<String>) -> ImageConfig {
        let strings = |key: &str| -> Vec<String> {
            config
                .get(key)
                .and_then(Value::as_array)
                .map(|items| {
                    items
                        .iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        let keys = |key: &str| -> Vec<String> {
            config
                .get(key)
                .and_then(Value::as_object)
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default()
        };
        let user = config
            .get("User")
            .and_then(Value::as_str)
            .filter(|u| !u.is_empty())
            .map(str::to_owned);
        let env = strings("Env")
            .into_iter()
            .map(|e| e.split_once('=').map_or(e.clone(), |(n, _)| n.to_owned()))
            .collect();
        let labels = config
            .get("Labels")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                    .collect()
            })
            .unwrap_or_default();
        ImageConfig {
            digest,
            user,
            volumes: keys("Volumes"),
            exposed_ports: keys("ExposedPorts"),
            entrypoint: strings("Entrypoint"),
            cmd: strings("Cmd"),
            env,
            labels,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_the_config_object_of_inspect_and_of_a_config_blob() {
        let config = json!({
            "User": "999:999",
            "Volumes": {"/var/lib/postgresql/data": {}},
            "ExposedPorts": {"5432/tcp": {}},
            "Entrypoint": ["docker-entrypoint.sh"],
            "Cmd": ["postgres"],
            "Env": ["PATH=/usr/bin", "PGDATA=/var/lib/postgresql/data"],
            "Labels": {"org.opencontainers.image.source": "x", "n": 1}
        });
        let c = ImageConfig::from_config(&config, Some("sha256:ab".into()));
        assert_eq!(c.user.as_deref(), Some("999:999"));
        assert_eq!(c.volumes, ["/var/lib/postgresql/data"]);
        assert_eq!(c.exposed_ports, ["5432/tcp"]);
        assert_eq!(c.entrypoint, ["docker-entrypoint.sh"]);
        assert_eq!(c.env, ["PATH", "PGDATA"]);
        assert_eq!(c.labels.len(), 1);
        let empty = ImageConfig::from_config(&json!({"User": "", "Volumes": null}), None);
        assert_eq!(empty, ImageConfig::default());
    }
}
