//! The fields autofill may write: a closed list, so column names in SQL only ever come from here.

use shared::models::autofill_suggestion::EntityType;

/// A writable field of a person or an organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    PersonTitle,
    PersonPhone,
    PersonMobile,
    PersonLinkedin,
    OrgWebsite,
    OrgPhone,
    OrgAddress,
    OrgLinkedin,
    OrgDescription,
}

impl Field {
    pub const ALL: [Field; 9] = [
        Field::PersonTitle,
        Field::PersonPhone,
        Field::PersonMobile,
        Field::PersonLinkedin,
        Field::OrgWebsite,
        Field::OrgPhone,
        Field::OrgAddress,
        Field::OrgLinkedin,
        Field::OrgDescription,
    ];

    pub fn entity(&self) -> EntityType {
        match self {
            Field::PersonTitle
            | Field::PersonPhone
            | Field::PersonMobile
            | Field::PersonLinkedin => EntityType::Person,
            _ => EntityType::Organisation,
        }
    }

    /// The field's name in suggestions (and the column's).
    pub fn name(&self) -> &'static str {
        self.column()
    }

    /// The column in `people` or `organisations`.
    pub fn column(&self) -> &'static str {
        match self {
            Field::PersonTitle => "title",
            Field::PersonPhone | Field::OrgPhone => "phone",
            Field::PersonMobile => "mobile",
            Field::PersonLinkedin | Field::OrgLinkedin => "linkedin",
            Field::OrgWebsite => "website",
            Field::OrgAddress => "address",
            Field::OrgDescription => "description",
        }
    }

    /// The table the field lives in.
    pub fn table(&self) -> &'static str {
        match self.entity() {
            EntityType::Person => "people",
            EntityType::Organisation => "organisations",
        }
    }

    /// The field `name` of `entity`, if autofill may write it.
    pub fn find(entity: EntityType, name: &str) -> Option<Field> {
        Field::ALL
            .into_iter()
            .find(|f| f.entity() == entity && f.name() == name)
    }

    /// Longest value accepted (an edited value longer than this is refused).
    pub fn max_len(&self) -> usize {
        match self {
            Field::OrgDescription => 2_000,
            Field::OrgAddress => 500,
            _ => 300,
        }
    }
}

/// A value as compared: phones by digits (a leading 0 read as +33), URLs without scheme, `www.` or
/// trailing slash, text without case or surrounding spaces.
pub fn normalise(field: Field, value: &str) -> String {
    let v = value.trim();
    match field {
        Field::PersonPhone | Field::PersonMobile | Field::OrgPhone => {
            let digits: String = v.chars().filter(char::is_ascii_digit).collect();
            let plus = v.starts_with('+') || v.starts_with("00");
            if plus {
                format!("+{}", digits.trim_start_matches("00"))
            } else if let Some(rest) = digits.strip_prefix('0') {
                format!("+33{rest}")
            } else {
                digits
            }
        }
        Field::PersonLinkedin | Field::OrgLinkedin | Field::OrgWebsite => {
            let lower = v.to_lowercase();
            let no_scheme = lower.split_once("://").map_or(lower.as_str(), |(_, r)| r);
            no_scheme
                .trim_start_matches("www.")
                .trim_end_matches('/')
                .to_owned()
        }
        _ => v
            .to_lowercase()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// True when `a` and `b` are the same value of `field`.
pub fn same_value(field: Field, a: &str, b: &str) -> bool {
    normalise(field, a) == normalise(field, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_compare_by_meaning() {
        assert!(same_value(
            Field::PersonPhone,
            "01 42 00 00 00",
            "+33142000000"
        ));
        assert!(same_value(
            Field::PersonPhone,
            "0033 1 42 00 00 00",
            "+33142000000"
        ));
        assert!(!same_value(
            Field::PersonPhone,
            "01 42 00 00 01",
            "+33142000000"
        ));
        assert!(same_value(
            Field::PersonLinkedin,
            "https://www.linkedin.com/in/jm/",
            "linkedin.com/in/JM"
        ));
        assert!(same_value(
            Field::PersonTitle,
            " Directrice  Générale",
            "directrice générale"
        ));
    }

    #[test]
    fn only_listed_fields_are_writable() {
        assert_eq!(
            Field::find(EntityType::Person, "title"),
            Some(Field::PersonTitle)
        );
        assert_eq!(
            Field::find(EntityType::Organisation, "phone"),
            Some(Field::OrgPhone)
        );
        assert_eq!(Field::find(EntityType::Person, "website"), None);
        assert_eq!(Field::find(EntityType::Person, "notes"), None);
        assert_eq!(
            Field::find(EntityType::Organisation, "name; drop table x"),
            None
        );
    }
}
