//! What DynamoDB bills a request, from its JSON body and the template's indexes: a write unit
//! per started KB of each item written (two in a transaction), plus one per started KB of each
//! global secondary index entry the write puts (index propagation is not transactional, so
//! once). Item sizes follow
//! DynamoDB's rules (attribute names + values; numbers about one byte per two digits).
//! UpdateItem is billed on the whole item: its size is the one the counter last saw written
//! under that key (1 KB when unknown), and it writes an index when it sets an attribute the
//! index holds on an item in that index.

use std::collections::HashMap;

use serde_json::Value;

/// One global secondary index of a table of template.yaml.
#[derive(Debug, Clone, PartialEq)]
pub struct Index {
    /// The table's logical id (`MessagesTable`); a table name ends with it.
    pub table: String,
    /// The index's key attributes.
    pub keys: Vec<String>,
    /// Projected non-key attributes; `None` for `ALL`.
    pub projected: Option<Vec<String>>,
}

/// Every global secondary index in template.yaml.
pub fn template_indexes() -> Vec<Index> {
    let path = crate::stack::root().join("template.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let doc: serde_norway::Value = serde_norway::from_str(&text).unwrap_or(serde_norway::Value::Null);
    let mut out = vec![];
    let Some(resources) = doc.get("Resources").and_then(|r| r.as_mapping()) else { return out };
    for (logical, r) in resources {
        let (Some(logical), Some(gsis)) = (logical.as_str(), r.get("Properties").and_then(|p| p.get("GlobalSecondaryIndexes")).and_then(|g| g.as_sequence())) else {
            continue;
        };
        for g in gsis {
            let keys = g["KeySchema"].as_sequence().into_iter().flatten().filter_map(|k| k["AttributeName"].as_str().map(String::from)).collect();
            let projected = match g["Projection"]["ProjectionType"].as_str() {
                Some("ALL") => None,
                _ => Some(g["Projection"]["NonKeyAttributes"].as_sequence().into_iter().flatten().filter_map(|a| a.as_str().map(String::from)).collect()),
            };
            out.push(Index { table: logical.to_string(), keys, projected });
        }
    }
    out
}

/// Size in bytes of one attribute value (DynamoDB's item-size rules, approximately for numbers).
fn value_size(v: &Value) -> usize {
    let Some((t, x)) = v.as_object().and_then(|o| o.iter().next()) else { return 0 };
    match t.as_str() {
        "S" => x.as_str().map_or(0, str::len),
        "N" => x.as_str().map_or(0, |n| n.trim_start_matches('-').len().div_ceil(2) + 1),
        "B" => x.as_str().map_or(0, |b| b.len() * 3 / 4),
        "BOOL" | "NULL" => 1,
        "SS" | "BS" => x.as_array().map_or(0, |a| a.iter().map(|s| s.as_str().map_or(0, str::len)).sum()),
        "NS" => x.as_array().map_or(0, |a| a.iter().map(|n| n.as_str().map_or(0, |n| n.len().div_ceil(2) + 1)).sum()),
        "L" => 3 + x.as_array().map_or(0, |a| a.iter().map(|e| 1 + value_size(e)).sum()),
        "M" => 3 + x.as_object().map_or(0, |m| m.iter().map(|(k, e)| 1 + k.len() + value_size(e)).sum()),
        _ => 0,
    }
}

/// Size in bytes of an item (attribute names and values).
pub fn item_size(item: &serde_json::Map<String, Value>) -> usize {
    item.iter().map(|(k, v)| k.len() + value_size(v)).sum()
}

fn units(bytes: usize, per: usize) -> f64 {
    bytes.max(1).div_ceil(per) as f64
}

/// The billing model over the template's indexes, remembering item sizes by key.
#[derive(Debug, Default)]
pub struct Billing {
    indexes: Vec<Index>,
    /// Size and attribute names of the items seen written, by table and key.
    seen: HashMap<String, (usize, Vec<String>)>,
}

impl Billing {
    /// Over these indexes.
    pub fn new(indexes: Vec<Index>) -> Self {
        Self { indexes, seen: HashMap::new() }
    }

    fn indexes_of<'a>(&'a self, table: &'a str) -> impl Iterator<Item = &'a Index> + 'a {
        self.indexes.iter().filter(move |i| table.ends_with(&i.table))
    }

    fn key_of(table: &str, item: &serde_json::Map<String, Value>) -> String {
        format!("{table}|{}|{}", item.get("pk").map(Value::to_string).unwrap_or_default(), item.get("sk").map(Value::to_string).unwrap_or_default())
    }

    /// Write units of putting `item` into `table`: the item, then each index it enters.
    pub fn put(&mut self, table: &str, item: &serde_json::Map<String, Value>, transactional: bool) -> f64 {
        let size = item_size(item);
        self.seen.insert(Self::key_of(table, item), (size, item.keys().cloned().collect()));
        let base = units(size, 1024) * if transactional { 2.0 } else { 1.0 };
        let index: f64 = self
            .indexes_of(table)
            .filter(|i| i.keys.iter().all(|k| item.contains_key(k)))
            .map(|i| {
                let projected: usize = item
                    .iter()
                    .filter(|(name, _)| {
                        ["pk", "sk"].contains(&name.as_str())
                            || i.keys.contains(name)
                            || i.projected.as_ref().is_none_or(|p| p.contains(name))
                    })
                    .map(|(k, v)| k.len() + value_size(v))
                    .sum();
                units(projected, 1024)
            })
            .sum();
        base + index
    }

    /// Write units of an UpdateItem (`request` holds TableName, Key, UpdateExpression, names).
    pub fn update(&self, request: &Value, transactional: bool) -> f64 {
        let table = request["TableName"].as_str().unwrap_or_default();
        let key = request["Key"].as_object().cloned().unwrap_or_default();
        let seen = self.seen.get(&Self::key_of(table, &key));
        let size = seen.map_or(1024, |(size, _)| *size);
        let base = units(size, 1024) * if transactional { 2.0 } else { 1.0 };
        let names = request["ExpressionAttributeNames"].as_object();
        let set: Vec<String> = request["UpdateExpression"]
            .as_str()
            .unwrap_or_default()
            .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '#' || c == ':'))
            .filter(|t| !t.is_empty() && !t.starts_with(':'))
            .filter(|t| !["SET", "REMOVE", "ADD", "DELETE", "if_not_exists", "list_append"].contains(t))
            .map(|t| names.and_then(|n| n.get(t)).and_then(Value::as_str).unwrap_or(t).to_string())
            .collect();
        // An item seen written is in an index when it has the index's keys; one not seen is
        // taken to be in every index (an upper bound).
        let index = self
            .indexes_of(table)
            .filter(|i| seen.is_none_or(|(_, names)| i.keys.iter().all(|k| names.contains(k)) || set.iter().any(|a| i.keys.contains(a))))
            .filter(|i| set.iter().any(|a| i.keys.contains(a) || i.projected.as_ref().is_none_or(|p| p.contains(a))))
            .count() as f64;
        base + index
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn item(v: Value) -> serde_json::Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn a_message_item_bills_its_size_and_each_index_it_enters_from_the_template() {
        let mut b = Billing::new(template_indexes());
        let small = item(json!({
            "pk": {"S": "MSG#m1"}, "sk": {"S": "MSG"},
            "jpk": {"S": "JOURNAL#1"}, "jsk": {"S": "t#m1"}, "journal": {"M": {"body": {"S": "hei"}}},
            "ipk": {"S": "INBOX#115"}, "isk": {"S": "t#m1"}, "inbox": {"M": {"subject": {"S": "s"}}},
        }));
        assert_eq!(b.put("p-MessagesTable", &small, false), 3.0, "1 KB item + journal + inbox index");
        assert_eq!(b.put("p-MessagesTable", &small, true), 4.0, "a transaction bills the item twice, the indexes once");
        let mut big = small.clone();
        big.insert("outgoing".into(), json!({"S": "x".repeat(1500)}));
        assert_eq!(b.put("p-MessagesTable", &big, false), 4.0, "2 KB item; the answer is in no index");
        let sent = item(json!({"pk": {"S": "MSG#m1"}, "sk": {"S": "SENT"}, "expires_at": {"N": "1700000000"}}));
        assert_eq!(b.put("p-MessagesTable", &sent, false), 1.0, "the SENT mark enters no index");
    }

    #[test]
    fn an_update_bills_the_whole_item_and_only_the_indexes_holding_what_it_sets() {
        let mut b = Billing::new(template_indexes());
        let mut msg = item(json!({"pk": {"S": "MSG#m2"}, "sk": {"S": "MSG"}, "jpk": {"S": "JOURNAL#1"}, "jsk": {"S": "t"}}));
        msg.insert("outgoing".into(), json!({"S": "x".repeat(1500)}));
        b.put("p-MessagesTable", &msg, false);
        let update = |expr: &str| json!({"TableName": "p-MessagesTable", "Key": {"pk": {"S": "MSG#m2"}, "sk": {"S": "MSG"}}, "UpdateExpression": expr});
        assert_eq!(b.update(&update("SET sent = :t"), false), 2.0, "2 KB item, no index holds `sent`");
        assert_eq!(b.update(&update("SET journal = :j"), false), 3.0, "the journal index holds `journal`");
    }
}
