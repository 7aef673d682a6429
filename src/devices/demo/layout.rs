//! Where the areas and entities of a demo house file sit in its text, so that errors found
//! after parsing (a duplicate id, an undeclared area) still name a line and column.
//!
//! serde_yaml forgets positions once a value is built, so this reads the block layout the
//! shipped file uses: top-level `areas:` and `entities:` keys, one area key per line, one `- `
//! item per entity. When the text has another shape (flow style, block scalars) and the counts
//! do not match what serde read, that part has no layout and errors name the file alone: a
//! wrong line would mislead more than none.

/// A line and column, both 1-based, as serde_yaml reports them.
pub(super) type Pos = (usize, usize);

/// The positions found in one text.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Layout {
    /// Each area's key, in file order.
    areas: Vec<Pos>,
    /// Each entity item, in file order.
    entities: Vec<Item>,
}

/// One `- ` item under `entities:`.
#[derive(Debug, PartialEq)]
struct Item {
    /// Where its `-` is.
    start: Pos,
    /// Where each of its keys is.
    keys: Vec<(String, Pos)>,
}

#[derive(Clone, Copy, PartialEq)]
enum Section {
    Areas,
    Entities,
    Other,
}

/// What the scan knows about the section it is in.
struct Scan {
    section: Section,
    /// Indent of the section's children (area keys or entity dashes).
    child: Option<usize>,
    /// Indent of the current entity item's keys.
    item_keys: Option<usize>,
}

impl Layout {
    /// Scans `text`, keeping each part only if it found as many areas and entities as serde did.
    pub(super) fn read(text: &str, areas: usize, entities: usize) -> Layout {
        let mut layout = Layout::default();
        let mut scan = Scan {
            section: Section::Other,
            child: None,
            item_keys: None,
        };
        for (n, line) in text.lines().enumerate() {
            layout.scan_line(&mut scan, n + 1, line);
        }
        if layout.areas.len() != areas {
            layout.areas.clear();
        }
        if layout.entities.len() != entities {
            layout.entities.clear();
        }
        layout
    }

    /// Where area number `index` is declared.
    pub(super) fn area(&self, index: usize) -> Option<Pos> {
        self.areas.get(index).copied()
    }

    /// Where entity number `index` writes `key`; where the item starts if it does not.
    pub(super) fn entity_key(&self, index: usize, key: &str) -> Option<Pos> {
        let item = self.entities.get(index)?;
        let found = item.keys.iter().find(|(k, _)| k == key).map(|(_, p)| *p);
        Some(found.unwrap_or(item.start))
    }

    fn scan_line(&mut self, scan: &mut Scan, n: usize, line: &str) {
        let body = line.trim_start_matches(' ');
        if body.is_empty() || body.starts_with('#') {
            return;
        }
        let indent = line.len() - body.len();
        let dash = body
            .strip_prefix('-')
            .filter(|r| r.is_empty() || r.starts_with(' '));
        if indent == 0 && dash.is_none() {
            scan.section = match key_of(body) {
                Some("areas") => Section::Areas,
                Some("entities") => Section::Entities,
                _ => Section::Other,
            };
            scan.child = None;
            return;
        }
        match (scan.section, dash) {
            (Section::Areas, None)
                if *scan.child.get_or_insert(indent) == indent && key_of(body).is_some() =>
            {
                self.areas.push((n, indent + 1));
            }
            (Section::Entities, Some(rest)) if *scan.child.get_or_insert(indent) == indent => {
                self.start_item(scan, n, line, rest);
            }
            (Section::Entities, None) => self.scan_item_key(scan, n, indent, body),
            _ => {}
        }
    }

    /// An entity item begins at `line`; `rest` follows its dash and may hold its first key.
    fn start_item(&mut self, scan: &mut Scan, n: usize, line: &str, rest: &str) {
        let inner = rest.trim_start_matches(' ');
        let key_indent = line.len() - inner.len();
        let dash_indent = line.len() - rest.len() - 1;
        let mut keys = Vec::new();
        scan.item_keys = None;
        if let Some(k) = key_of(inner) {
            keys.push((k.to_owned(), (n, key_indent + 1)));
            scan.item_keys = Some(key_indent);
        }
        self.entities.push(Item {
            start: (n, dash_indent + 1),
            keys,
        });
    }

    fn scan_item_key(&mut self, scan: &mut Scan, n: usize, indent: usize, body: &str) {
        let Some(item) = self.entities.last_mut() else {
            return;
        };
        if scan.child.is_some_and(|c| indent <= c) {
            return;
        }
        if *scan.item_keys.get_or_insert(indent) != indent {
            return;
        }
        if let Some(k) = key_of(body) {
            item.keys.push((k.to_owned(), (n, indent + 1)));
        }
    }
}

/// The key of a `key: value` or `key:` line, unquoted.
fn key_of(body: &str) -> Option<&str> {
    if body.starts_with(['{', '[']) {
        return None;
    }
    let colon = body
        .char_indices()
        .find(|&(i, c)| c == ':' && body[i + 1..].chars().next().is_none_or(|n| n == ' '))?
        .0;
    let key = body[..colon].trim().trim_matches(|c| c == '"' || c == '\'');
    (!key.is_empty()).then_some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "\
# a comment
areas:
  kitchen:
    name: Kitchen
  hall: {name: Hall}
entities:
  # lights
  - id: light.a
    name: A
    attributes:
      brightness: 0
  -
    name: B
    id: switch.b
other:
  - id: not.an.entity
";

    #[test]
    fn finds_area_keys_and_entity_keys_with_columns() {
        let layout = Layout::read(TEXT, 2, 2);
        assert_eq!(layout.area(0), Some((3, 3)));
        assert_eq!(layout.area(1), Some((5, 3)));
        assert_eq!(layout.entity_key(0, "id"), Some((8, 5)));
        assert_eq!(layout.entity_key(0, "name"), Some((9, 5)));
        assert_eq!(layout.entity_key(1, "id"), Some((14, 5)));
        // A nested attribute key is not the entity's key: fall back to the item's dash.
        assert_eq!(layout.entity_key(0, "brightness"), Some((8, 3)));
        assert_eq!(layout.entity_key(2, "id"), None);
    }

    #[test]
    fn items_at_the_parents_indent_are_entities_too() {
        let layout = Layout::read("entities:\n- id: light.a\n  area: x\n", 0, 1);
        assert_eq!(layout.entity_key(0, "area"), Some((3, 3)));
    }

    #[test]
    fn counts_that_disagree_with_serde_give_no_positions() {
        let layout = Layout::read("entities: [{id: light.a}]\n", 0, 1);
        assert_eq!(layout.entity_key(0, "id"), None);
        let layout = Layout::read(TEXT, 3, 2);
        assert_eq!(layout.area(0), None);
        assert_eq!(layout.entity_key(1, "name"), Some((13, 5)));
    }
}
