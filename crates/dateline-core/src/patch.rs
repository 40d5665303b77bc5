//! Partial updates: each field of a PATCH is absent (keep), null (clear) or a value (replace).

use serde::{Deserialize, Deserializer};

/// One field of a partial update.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Patch<T> {
    /// Not mentioned: keep what is stored.
    #[default]
    Absent,
    /// Given as `null`: clear it (a required field then fails validation, naming itself).
    Null,
    /// Given: replace what is stored.
    Value(T),
}

impl<T> Patch<T> {
    /// Applies the patch to an optional stored value.
    pub fn apply_optional(self, current: Option<T>) -> Option<T> {
        match self {
            Patch::Absent => current,
            Patch::Null => None,
            Patch::Value(v) => Some(v),
        }
    }

    /// Whether the field was mentioned at all.
    pub fn is_given(&self) -> bool {
        !matches!(self, Patch::Absent)
    }
}

impl<T: Default> Patch<T> {
    /// Applies the patch to a required stored value; `null` empties it, so that validation
    /// refuses it with the field's own message.
    pub fn apply_required(self, current: T) -> T {
        match self {
            Patch::Absent => current,
            Patch::Null => T::default(),
            Patch::Value(v) => v,
        }
    }
}

// A field that is missing never reaches this (`#[serde(default)]` makes it `Absent`); a field
// that is present is `null` or a value.
impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Option::<T>::deserialize(d)?.map_or(Patch::Null, Patch::Value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Default)]
    struct P {
        #[serde(default)]
        a: Patch<String>,
        #[serde(default)]
        b: Patch<String>,
        #[serde(default)]
        c: Patch<String>,
    }

    #[test]
    fn absent_null_and_value_are_told_apart() {
        let p: P = serde_json::from_str(r#"{"b": null, "c": "x"}"#).unwrap();
        assert_eq!(
            (p.a, p.b, p.c),
            (Patch::Absent, Patch::Null, Patch::Value("x".to_owned()))
        );
        let p: P = serde_json::from_str(r#"{"b": null, "c": "x"}"#).unwrap();
        assert_eq!(p.a.apply_optional(Some(1.to_string())), Some("1".into()));
        assert_eq!(p.b.apply_optional(Some("1".to_owned())), None);
        assert_eq!(p.c.apply_required(String::new()), "x");
    }
}
