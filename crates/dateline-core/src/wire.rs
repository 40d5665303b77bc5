//! How values arrive: what JSON and query strings may spell differently from Rust.

use serde::{Deserialize, Deserializer, de::Error as _};

/// A whole number as JSON Schema's `integer` allows it: `12` or `12.0`. serde alone refuses
/// `12.0` for an integer field, while the published schema calls it valid.
pub fn whole_number<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Number {
        Int(i64),
        Float(f64),
    }
    match Number::deserialize(d)? {
        Number::Int(i) => Ok(i),
        Number::Float(f) if f.fract() == 0.0 && (-9.2e18..=9.2e18).contains(&f) => Ok(f as i64),
        Number::Float(f) => Err(D::Error::custom(format!(
            "invalid type: floating point `{f}`, expected i64"
        ))),
    }
}

/// Like [`whole_number`], for an optional field (`null` or absent is `None`).
pub fn optional_whole_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    struct Wrap(#[serde(deserialize_with = "whole_number")] i64);
    Ok(Option::<Wrap>::deserialize(d)?.map(|Wrap(i)| i))
}

/// A whole number in a query string: `12` or `12.0`; absent is `None`.
pub fn optional_whole_number_text<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<i64>, D::Error> {
    let Some(text) = Option::<String>::deserialize(d)? else {
        return Ok(None);
    };
    if let Ok(i) = text.parse::<i64>() {
        return Ok(Some(i));
    }
    match text.parse::<f64>() {
        Ok(f) if f.is_finite() && f.fract() == 0.0 && (-9.2e18..=9.2e18).contains(&f) => {
            Ok(Some(f as i64))
        }
        _ => Err(D::Error::custom("invalid digit found in string")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Debug)]
    struct T {
        #[serde(deserialize_with = "whole_number")]
        a: i64,
        #[serde(default, deserialize_with = "optional_whole_number")]
        b: Option<i64>,
    }

    #[test]
    fn whole_numbers_may_be_written_with_a_point() {
        let t: T = serde_json::from_str(r#"{"a": 72093.0, "b": 3}"#).unwrap();
        assert_eq!((t.a, t.b), (72093, Some(3)));
        let t: T = serde_json::from_str(r#"{"a": 5, "b": null}"#).unwrap();
        assert_eq!((t.a, t.b), (5, None));
        let t: T = serde_json::from_str(r#"{"a": 5}"#).unwrap();
        assert_eq!(t.b, None);
        assert!(serde_json::from_str::<T>(r#"{"a": 1.5}"#).is_err());
        assert!(serde_json::from_str::<T>(r#"{"a": "1"}"#).is_err());
    }
}
