//! The `fields` parameter (docs/protocols.md §2.0): comma-separated keys, nested with dots
//! (`name,_embedded.items.path`); keys not listed are dropped, lists are filtered item by item.
//! A key listed together with some of its sub-keys (`_embedded,_embedded.total`) keeps just those
//! sub-keys, as the recordings show. A resource always keeps its `type`: asking for
//! `_embedded.items.path` on a file gives `{"type":"file"}` [verified-traffic].

use std::collections::BTreeMap;

use serde_json::Value;

#[derive(Default)]
struct Selection(BTreeMap<String, Selection>);

impl Selection {
    fn parse(fields: &str) -> Selection {
        let mut root = Selection::default();
        for field in fields.split(',').map(str::trim).filter(|f| !f.is_empty()) {
            let mut node = &mut root;
            for part in field.split('.') {
                node = node.0.entry(part.to_string()).or_default();
            }
        }
        root
    }

    fn apply(&self, value: Value) -> Value {
        if self.0.is_empty() {
            return value;
        }
        match value {
            Value::Object(object) => {
                let is_resource = matches!(object.get("type"), Some(Value::String(t)) if t == "file" || t == "dir");
                let kept = object
                    .into_iter()
                    .filter_map(|(key, value)| match self.0.get(&key) {
                        Some(selection) => Some((key, selection.apply(value))),
                        None if is_resource && key == "type" => Some((key, value)),
                        None => None,
                    })
                    .collect();
                Value::Object(kept)
            }
            Value::Array(items) => Value::Array(items.into_iter().map(|item| self.apply(item)).collect()),
            other => other,
        }
    }
}

/// `value` reduced to what `fields` asks for (everything when `fields` is absent or empty).
pub fn filter(value: Value, fields: Option<&str>) -> Value {
    match fields {
        Some(fields) => Selection::parse(fields).apply(value),
        None => value,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::filter;

    #[test]
    fn dot_paths_select_nested_keys() {
        let dir = json!({"type": "dir", "name": "a", "path": "disk:/a",
            "_embedded": {"items": [{"type": "file", "name": "f", "size": 1}], "total": 1, "sort": ""}});
        assert_eq!(
            filter(dir.clone(), Some("name,_embedded.items.name")),
            json!({"type": "dir", "name": "a", "_embedded": {"items": [{"type": "file", "name": "f"}]}})
        );
        assert_eq!(
            filter(dir, Some("_embedded,_embedded.total")),
            json!({"type": "dir", "_embedded": {"total": 1}})
        );
        let file = json!({"type": "file", "name": "f", "size": 1});
        assert_eq!(filter(file, Some("_embedded.items.path")), json!({"type": "file"}));
        let link = json!({"href": "h", "method": "GET", "templated": false});
        assert_eq!(filter(link, Some("href")), json!({"href": "h"}));
    }
}
