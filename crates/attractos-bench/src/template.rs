//! Fills a page template's `{{name}}` placeholders, strictly: a placeholder without a value and
//! a value without a placeholder are both errors, so the prose and the table writers cannot
//! drift apart unnoticed.
//!
//! ```
//! use attractos_bench::template::fill;
//!
//! let page = fill("Median: {{median}}.", &[("median", "105.8 ns".to_owned())]).unwrap();
//! assert_eq!(page, "Median: 105.8 ns.");
//! assert!(fill("{{mean}}", &[("median", String::new())]).is_err());
//! ```

use std::fmt;

/// Why a template could not be filled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateError {
    /// The template names a placeholder that no value fills.
    Unknown(String),
    /// A value fills no placeholder of the template.
    Unused(String),
    /// A `{{` without its `}}`.
    Unclosed,
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TemplateError::Unknown(name) => write!(f, "no value for placeholder {{{{{name}}}}}"),
            TemplateError::Unused(name) => {
                write!(f, "the template has no placeholder {{{{{name}}}}}")
            }
            TemplateError::Unclosed => f.write_str("a `{{` without its `}}`"),
        }
    }
}

impl std::error::Error for TemplateError {}

/// `template` with every `{{name}}` replaced by the value of `name` in `values`.
pub fn fill(template: &str, values: &[(&str, String)]) -> Result<String, TemplateError> {
    let mut page = String::with_capacity(template.len());
    let mut used = vec![false; values.len()];
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        page.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or(TemplateError::Unclosed)?;
        let name = after[..end].trim();
        let index = values
            .iter()
            .position(|(key, _)| *key == name)
            .ok_or_else(|| TemplateError::Unknown(name.to_owned()))?;
        used[index] = true;
        page.push_str(&values[index].1);
        rest = &after[end + 2..];
    }
    page.push_str(rest);
    match used.iter().position(|used| !used) {
        Some(index) => Err(TemplateError::Unused(values[index].0.to_owned())),
        None => Ok(page),
    }
}
