//! The `q` search language of files.list (docs/protocols.md §4.3): terms joined by `and`, `or`,
//! `not` and parentheses. Terms: `name` and `mimeType` (`=`, `!=`, `contains`), `fullText
//! contains`, `modifiedTime`/`createdTime`/`viewedByMeTime` comparisons, `trashed`/`starred`/
//! `sharedWithMe` (`=`, `!=`), `'x' in parents|owners|writers|readers`, and
//! `properties|appProperties has { key='k' and value='v' }`. Anything else does not parse, and
//! files.list answers 400 `invalid` as Google does.

use std::collections::BTreeMap;

use super::render::parse_rfc3339;

#[derive(Debug)]
pub enum Query {
    And(Box<Query>, Box<Query>),
    Or(Box<Query>, Box<Query>),
    Not(Box<Query>),
    Term(Term),
}

#[derive(Debug)]
pub enum Term {
    Text {
        field: TextField,
        op: TextOp,
        value: String,
    },
    Time {
        field: TimeField,
        op: Cmp,
        ms: i64,
    },
    Flag {
        field: FlagField,
        equal: bool,
        value: bool,
    },
    In {
        value: String,
        collection: Collection,
    },
    Has {
        app: bool,
        key: String,
        value: String,
    },
}

#[derive(Clone, Copy, Debug)]
pub enum TextField {
    Name,
    MimeType,
    FullText,
}

#[derive(Clone, Copy, Debug)]
pub enum TextOp {
    Equal,
    NotEqual,
    Contains,
}

#[derive(Clone, Copy, Debug)]
pub enum TimeField {
    Modified,
    Created,
    Viewed,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cmp {
    Lt,
    Le,
    Eq,
    Ne,
    Ge,
    Gt,
}

#[derive(Clone, Copy, Debug)]
pub enum FlagField {
    Trashed,
    Starred,
    SharedWithMe,
}

#[derive(Clone, Copy, Debug)]
pub enum Collection {
    Parents,
    Owners,
    Writers,
    Readers,
}

/// What a query can ask about one file.
pub struct Facts<'a> {
    pub name: &'a str,
    pub mime_type: &'a str,
    pub description: &'a str,
    pub modified_ms: i64,
    pub created_ms: i64,
    pub viewed_ms: i64,
    pub trashed: bool,
    pub starred: bool,
    pub shared_with_me: bool,
    pub parents: &'a [String],
    /// The caller's My Drive, which `'root' in parents` means.
    pub root_id: &'a str,
    pub owners: Vec<String>,
    pub writers: Vec<String>,
    pub readers: Vec<String>,
    pub properties: &'a BTreeMap<String, String>,
    pub app_properties: &'a BTreeMap<String, String>,
}

#[derive(Debug, PartialEq)]
enum Token {
    Str(String),
    Word(String),
    Op(&'static str),
    Open,
    Close,
    OpenBrace,
    CloseBrace,
}

fn tokenize(text: &str) -> Option<Vec<Token>> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '(' | ')' | '{' | '}' => {
                tokens.push(match c {
                    '(' => Token::Open,
                    ')' => Token::Close,
                    '{' => Token::OpenBrace,
                    _ => Token::CloseBrace,
                });
                i += 1;
            }
            '\'' => {
                // `\'` and `\\` escape a quote and a backslash.
                let mut value = String::new();
                i += 1;
                loop {
                    match chars.get(i)? {
                        '\\' => {
                            value.push(*chars.get(i + 1)?);
                            i += 2;
                        }
                        '\'' => {
                            i += 1;
                            break;
                        }
                        other => {
                            value.push(*other);
                            i += 1;
                        }
                    }
                }
                tokens.push(Token::Str(value));
            }
            '=' => {
                tokens.push(Token::Op("="));
                i += 1;
            }
            '!' | '<' | '>' => {
                let with_equal = chars.get(i + 1) == Some(&'=');
                let op = match (c, with_equal) {
                    ('!', true) => "!=",
                    ('<', true) => "<=",
                    ('>', true) => ">=",
                    ('<', false) => "<",
                    ('>', false) => ">",
                    _ => return None,
                };
                tokens.push(Token::Op(op));
                i += if with_equal { 2 } else { 1 };
            }
            c if c.is_ascii_alphanumeric() || c == '_' => {
                let start = i;
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                tokens.push(Token::Word(chars[start..i].iter().collect()));
            }
            _ => return None,
        }
    }
    Some(tokens)
}

pub fn parse(text: &str) -> Option<Query> {
    let tokens = tokenize(text)?;
    let mut parser = Parser { tokens, position: 0 };
    let query = parser.or()?;
    (parser.position == parser.tokens.len()).then_some(query)
}

struct Parser {
    tokens: Vec<Token>,
    position: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.position)
    }

    fn next(&mut self) -> Option<&Token> {
        self.position += 1;
        self.tokens.get(self.position - 1)
    }

    fn keyword(&mut self, word: &str) -> bool {
        let found = matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word));
        if found {
            self.position += 1;
        }
        found
    }

    fn expect(&mut self, token: Token) -> Option<()> {
        (self.next()? == &token).then_some(())
    }

    fn string(&mut self) -> Option<String> {
        match self.next()? {
            Token::Str(value) => Some(value.clone()),
            _ => None,
        }
    }

    /// `name = 'text'` inside `has { … }`.
    fn assignment(&mut self, name: &str) -> Option<String> {
        matches!(self.next()?, Token::Word(w) if w == name).then_some(())?;
        self.expect(Token::Op("="))?;
        self.string()
    }

    fn or(&mut self) -> Option<Query> {
        let mut query = self.and()?;
        while self.keyword("or") {
            query = Query::Or(Box::new(query), Box::new(self.and()?));
        }
        Some(query)
    }

    fn and(&mut self) -> Option<Query> {
        let mut query = self.unary()?;
        while self.keyword("and") {
            query = Query::And(Box::new(query), Box::new(self.unary()?));
        }
        Some(query)
    }

    fn unary(&mut self) -> Option<Query> {
        if self.keyword("not") {
            return Some(Query::Not(Box::new(self.unary()?)));
        }
        if self.peek() == Some(&Token::Open) {
            self.position += 1;
            let query = self.or()?;
            self.expect(Token::Close)?;
            return Some(query);
        }
        self.term().map(Query::Term)
    }

    fn term(&mut self) -> Option<Term> {
        if let Some(Token::Str(value)) = self.peek() {
            let value = value.clone();
            self.position += 1;
            return self.membership(value);
        }
        let Token::Word(field) = self.next()? else {
            return None;
        };
        let field = field.clone();
        match field.as_str() {
            "name" | "mimeType" | "fullText" => self.text(&field),
            "modifiedTime" | "createdTime" | "viewedByMeTime" => self.time(&field),
            "trashed" | "starred" | "sharedWithMe" => self.flag(&field),
            "properties" | "appProperties" => self.has(&field),
            _ => None,
        }
    }

    /// `'value' in parents|owners|writers|readers`, after the value.
    fn membership(&mut self, value: String) -> Option<Term> {
        if !self.keyword("in") {
            return None;
        }
        let collection = match self.next()? {
            Token::Word(w) if w == "parents" => Collection::Parents,
            Token::Word(w) if w == "owners" => Collection::Owners,
            Token::Word(w) if w == "writers" => Collection::Writers,
            Token::Word(w) if w == "readers" => Collection::Readers,
            _ => return None,
        };
        Some(Term::In { value, collection })
    }

    /// `name|mimeType = != contains 'x'`, `fullText contains 'x'`.
    fn text(&mut self, field: &str) -> Option<Term> {
        let op = if self.keyword("contains") {
            TextOp::Contains
        } else {
            match self.next()? {
                Token::Op("=") => TextOp::Equal,
                Token::Op("!=") => TextOp::NotEqual,
                _ => return None,
            }
        };
        let field = match field {
            "name" => TextField::Name,
            "mimeType" => TextField::MimeType,
            _ if matches!(op, TextOp::Contains) => TextField::FullText,
            _ => return None,
        };
        Some(Term::Text {
            field,
            op,
            value: self.string()?,
        })
    }

    /// `modifiedTime|createdTime|viewedByMeTime <op> 'RFC 3339'`.
    fn time(&mut self, field: &str) -> Option<Term> {
        let op = match self.next()? {
            Token::Op("<") => Cmp::Lt,
            Token::Op("<=") => Cmp::Le,
            Token::Op("=") => Cmp::Eq,
            Token::Op("!=") => Cmp::Ne,
            Token::Op(">=") => Cmp::Ge,
            Token::Op(">") => Cmp::Gt,
            _ => return None,
        };
        let ms = parse_rfc3339(&self.string()?)?;
        let field = match field {
            "modifiedTime" => TimeField::Modified,
            "createdTime" => TimeField::Created,
            _ => TimeField::Viewed,
        };
        Some(Term::Time { field, op, ms })
    }

    /// `trashed|starred|sharedWithMe = != true|false`.
    fn flag(&mut self, field: &str) -> Option<Term> {
        let equal = match self.next()? {
            Token::Op("=") => true,
            Token::Op("!=") => false,
            _ => return None,
        };
        let value = match self.next()? {
            Token::Word(w) if w == "true" => true,
            Token::Word(w) if w == "false" => false,
            _ => return None,
        };
        let field = match field {
            "trashed" => FlagField::Trashed,
            "starred" => FlagField::Starred,
            _ => FlagField::SharedWithMe,
        };
        Some(Term::Flag { field, equal, value })
    }

    /// `properties|appProperties has { key='k' and value='v' }`.
    fn has(&mut self, field: &str) -> Option<Term> {
        if !self.keyword("has") {
            return None;
        }
        self.expect(Token::OpenBrace)?;
        let key = self.assignment("key")?;
        if !self.keyword("and") {
            return None;
        }
        let value = self.assignment("value")?;
        self.expect(Token::CloseBrace)?;
        Some(Term::Has {
            app: field == "appProperties",
            key,
            value,
        })
    }
}

impl Query {
    pub fn matches(&self, facts: &Facts) -> bool {
        match self {
            Query::And(a, b) => a.matches(facts) && b.matches(facts),
            Query::Or(a, b) => a.matches(facts) || b.matches(facts),
            Query::Not(q) => !q.matches(facts),
            Query::Term(term) => term.matches(facts),
        }
    }
}

impl Term {
    fn matches(&self, facts: &Facts) -> bool {
        match self {
            Term::Text {
                field: TextField::Name,
                op,
                value,
            } => match op {
                TextOp::Equal => facts.name == value,
                TextOp::NotEqual => facts.name != value,
                TextOp::Contains => word_prefix_match(facts.name, value),
            },
            Term::Text {
                field: TextField::MimeType,
                op,
                value,
            } => match op {
                TextOp::Equal => facts.mime_type == value,
                TextOp::NotEqual => facts.mime_type != value,
                TextOp::Contains => facts.mime_type.contains(value.as_str()),
            },
            Term::Text {
                field: TextField::FullText,
                value,
                ..
            } => {
                let needle = value.to_lowercase();
                facts.name.to_lowercase().contains(&needle) || facts.description.to_lowercase().contains(&needle)
            }
            Term::Time { field, op, ms } => {
                let actual = match field {
                    TimeField::Modified => facts.modified_ms,
                    TimeField::Created => facts.created_ms,
                    TimeField::Viewed => facts.viewed_ms,
                };
                match op {
                    Cmp::Lt => actual < *ms,
                    Cmp::Le => actual <= *ms,
                    Cmp::Eq => actual == *ms,
                    Cmp::Ne => actual != *ms,
                    Cmp::Ge => actual >= *ms,
                    Cmp::Gt => actual > *ms,
                }
            }
            Term::Flag { field, equal, value } => {
                let actual = match field {
                    FlagField::Trashed => facts.trashed,
                    FlagField::Starred => facts.starred,
                    FlagField::SharedWithMe => facts.shared_with_me,
                };
                (actual == *value) == *equal
            }
            Term::In { value, collection } => match collection {
                Collection::Parents => {
                    let id = if value == "root" { facts.root_id } else { value.as_str() };
                    facts.parents.iter().any(|p| p == id)
                }
                Collection::Owners => facts.owners.iter().any(|e| e.eq_ignore_ascii_case(value)),
                Collection::Writers => facts.writers.iter().any(|e| e.eq_ignore_ascii_case(value)),
                Collection::Readers => facts.readers.iter().any(|e| e.eq_ignore_ascii_case(value)),
            },
            Term::Has { app, key, value } => {
                let map = if *app { facts.app_properties } else { facts.properties };
                map.get(key) == Some(value)
            }
        }
    }
}

/// `name contains` matches prefixes of the name's words, not any substring: "HelloWorld"
/// matches 'Hello' but not 'World' (GD-DOCS ref-search-terms). Case-insensitive.
fn word_prefix_match(name: &str, value: &str) -> bool {
    let (name, value) = (name.to_lowercase(), value.to_lowercase());
    name.match_indices(&value)
        .any(|(i, _)| i == 0 || !name[..i].chars().next_back().is_some_and(char::is_alphanumeric))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_supported_subset() {
        for q in [
            "name = 'a' and trashed = false",
            "mimeType != 'application/vnd.google-apps.folder' and (name contains 'x' or not starred = true)",
            "'root' in parents and modifiedTime > '2024-01-01T00:00:00'",
            "name = 'it\\'s' or name = 'back\\\\slash'",
            "properties has { key='k' and value='v' }",
            "'a@b.c' in owners",
        ] {
            assert!(parse(q).is_some(), "{q}");
        }
    }

    #[test]
    fn rejects_everything_else() {
        for q in [
            "name",
            "name ~ 'a'",
            "size > '3'",
            "name = 'unterminated",
            "trashed = maybe",
            "(name = 'a'",
            "'x' in children",
        ] {
            assert!(parse(q).is_none(), "{q}");
        }
    }

    #[test]
    fn name_contains_matches_word_prefixes() {
        assert!(word_prefix_match("HelloWorld", "hello"));
        assert!(!word_prefix_match("HelloWorld", "World"));
        assert!(word_prefix_match("Hello World", "wor"));
    }
}
