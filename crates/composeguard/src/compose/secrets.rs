//! The service-level `secrets` and `configs` form (one syntax for both): the short syntax is
//! the name, the long one a mapping whose `source` is the name (read through `<<` merges).

use super::{Compose, Service, Syntax};

impl<'d> Compose<'d> {
    /// The names of the secrets (`key: "secrets"`) or configs (`"configs"`) the service is
    /// given, in order; a long-syntax entry without a `source` names none.
    pub(crate) fn granted(&self, service: &Service, key: &str) -> Vec<&'d str> {
        self.service_entries(service, key)
            .filter_map(|(_, entry)| match entry {
                Syntax::Short(name) => Some(name),
                Syntax::Long(map) => self.field(map, "source"),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::compose::Compose;
    use crate::document::Document;

    #[test]
    fn short_and_long_syntax() {
        let doc = Document::parse(
            "x-s: &s {source: b}\nservices:\n  a:\n    secrets:\n      - a\n      - source: c\n      - <<: *s\n        target: /b\n      - {target: /none}\n",
        )
        .unwrap();
        let compose = Compose::new(&doc).unwrap();
        let services = compose.services();
        assert_eq!(compose.granted(&services[0], "secrets"), ["a", "c", "b"]);
        assert!(compose.granted(&services[0], "configs").is_empty());
    }
}
