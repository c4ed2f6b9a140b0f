//! The help corpus on disk (COMM-9): `docs/help/<lang>/<slug>.<ext>`, each
//! file read by the loader its extension names (Markdown or HTML), split
//! into sections by its headings, and each section into chunks of at most
//! [`CHUNK_CHARS`] characters that overlap by about [`OVERLAP_CHARS`].
//!
//! PDF is not loaded: no maintained pure-Rust crate extracts the text of
//! arbitrary PDFs reliably enough to answer from it.
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use sha2::{Digest, Sha256};

/// Longest chunk, in characters.
pub const CHUNK_CHARS: usize = 1000;
/// How much of a chunk's end the next one repeats, in characters.
pub const OVERLAP_CHARS: usize = 200;
/// The languages the corpus has, as folder names.
pub const LANGS: [&str; 2] = ["ko", "en"];

/// A help document, loaded.
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    /// The file name without extension, shared by a document's translations.
    pub doc: String,
    pub lang: String,
    /// Relative to the corpus root (`en/payment.md`).
    pub path: String,
    pub title: String,
    pub sections: Vec<Section>,
}

/// The text under one heading.
#[derive(Clone, Debug, PartialEq)]
pub struct Section {
    /// The headings above the text, outermost first (the title included).
    pub headings: Vec<String>,
    /// Paragraphs separated by blank lines.
    pub text: String,
}

/// What gets indexed.
#[derive(Clone, Debug, PartialEq)]
pub struct Chunk {
    pub doc: String,
    pub lang: String,
    pub path: String,
    pub title: String,
    /// `Title > Section > Subsection`.
    pub heading: String,
    pub position: i32,
    pub text: String,
}

impl Chunk {
    /// What is embedded: the headings give a short chunk its subject.
    pub fn embedding_text(&self) -> String {
        format!("{}\n{}", self.heading, self.text)
    }
}

/// Which loader reads a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Html,
}

impl Format {
    pub fn of(path: &Path) -> Option<Self> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "md" | "markdown" => Some(Self::Markdown),
            "html" | "htm" => Some(Self::Html),
            _ => None,
        }
    }
}

/// The corpus: every document and a hash of the files (path and bytes).
pub struct Corpus {
    pub documents: Vec<Document>,
    pub hash: String,
}

/// Reads every document under `root/<lang>/`, in path order.
pub fn load_dir(root: &Path) -> anyhow::Result<Corpus> {
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    for lang in LANGS {
        let dir = root.join(lang);
        if !dir.is_dir() {
            continue;
        }
        for entry in
            std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))?
        {
            let path = entry?.path();
            if path.is_file() && Format::of(&path).is_some() {
                files.push((lang.to_owned(), path));
            }
        }
    }
    files.sort_by(|a, b| a.1.cmp(&b.1));
    let mut hasher = Sha256::new();
    let mut documents = Vec::with_capacity(files.len());
    for (lang, path) in files {
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        let relative = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        hasher.update(relative.as_bytes());
        hasher.update([0]);
        hasher.update(&bytes);
        hasher.update([0]);
        let text = String::from_utf8_lossy(&bytes);
        let doc = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (title, sections) = match Format::of(&path) {
            Some(Format::Html) => load_html(&text),
            _ => load_markdown(&text),
        };
        documents.push(Document {
            title: title.unwrap_or_else(|| doc.clone()),
            doc,
            lang,
            path: relative,
            sections,
        });
    }
    Ok(Corpus {
        documents,
        hash: hex::encode(hasher.finalize()),
    })
}

/// Collects sections as headings and text arrive.
#[derive(Default)]
struct Sections {
    title: Option<String>,
    /// (level, text) of the headings in force.
    stack: Vec<(u8, String)>,
    text: String,
    out: Vec<Section>,
}

impl Sections {
    fn flush(&mut self) {
        let text = tidy(&self.text);
        if !text.is_empty() {
            self.out.push(Section {
                headings: self.stack.iter().map(|(_, h)| h.clone()).collect(),
                text,
            });
        }
        self.text.clear();
    }

    fn heading(&mut self, level: u8, text: String) {
        self.flush();
        if self.title.is_none() && level == 1 {
            self.title = Some(text.clone());
        }
        self.stack.retain(|(l, _)| *l < level);
        self.stack.push((level, text));
    }

    fn paragraph_end(&mut self) {
        if !self.text.ends_with("\n\n") && !self.text.is_empty() {
            self.text.push_str("\n\n");
        }
    }

    fn finish(mut self) -> (Option<String>, Vec<Section>) {
        self.flush();
        (self.title, self.out)
    }
}

/// Trims every line and collapses runs of blank lines.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = false;
    for line in text
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
    {
        if line.is_empty() {
            blank = !out.is_empty();
            continue;
        }
        if blank {
            out.push_str("\n\n");
        } else if !out.is_empty() {
            out.push('\n');
        }
        blank = false;
        out.push_str(&line);
    }
    out
}

/// Markdown (CommonMark with tables): headings open sections, everything
/// else is text; code keeps its content, links keep their text.
pub fn load_markdown(source: &str) -> (Option<String>, Vec<Section>) {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
    let mut sections = Sections::default();
    let mut heading: Option<(u8, String)> = None;
    for event in Parser::new_ext(source, Options::ENABLE_TABLES) {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                heading = Some((level as u8, String::new()))
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, text)) = heading.take() {
                    sections.heading(level, text.trim().to_owned());
                }
            }
            Event::Text(t) | Event::Code(t) => match heading.as_mut() {
                Some((_, h)) => h.push_str(&t),
                None => sections.text.push_str(&t),
            },
            Event::SoftBreak => sections.text.push(' '),
            Event::HardBreak => sections.text.push('\n'),
            Event::Start(Tag::Item) => sections.text.push_str("- "),
            Event::End(TagEnd::Item) | Event::End(TagEnd::TableRow) => sections.text.push('\n'),
            Event::End(TagEnd::TableCell) => sections.text.push_str(" | "),
            Event::End(TagEnd::Paragraph | TagEnd::CodeBlock | TagEnd::List(_) | TagEnd::Table) => {
                sections.paragraph_end()
            }
            _ => {}
        }
    }
    sections.finish()
}

/// HTML: `<title>` (else the first `h1`) is the title; `h1`–`h6` open
/// sections; paragraphs, list items, cells, `pre` and quotes are text.
/// Scripts, styles and navigation are skipped.
pub fn load_html(source: &str) -> (Option<String>, Vec<Section>) {
    use scraper::{Html, Node};
    let html = Html::parse_document(source);
    let mut sections = Sections::default();
    let mut page_title = None;
    let mut stack = vec![(html.tree.root(), false)];
    // Depth-first, in document order; `true` marks a node whose end is due.
    while let Some((node, closing)) = stack.pop() {
        let value = node.value();
        if closing {
            if let Node::Element(e) = value
                && matches!(
                    e.name(),
                    "p" | "li"
                        | "pre"
                        | "blockquote"
                        | "tr"
                        | "dd"
                        | "dt"
                        | "div"
                        | "ul"
                        | "ol"
                        | "table"
                )
            {
                sections.paragraph_end();
            }
            continue;
        }
        match value {
            Node::Element(e) => {
                let name = e.name();
                if matches!(
                    name,
                    "script" | "style" | "nav" | "noscript" | "template" | "head"
                ) {
                    if name == "head" {
                        page_title = scraper::ElementRef::wrap(node).and_then(|head| {
                            let selector = scraper::Selector::parse("title").ok()?;
                            let title: String = head.select(&selector).next()?.text().collect();
                            let title = title.trim().to_owned();
                            (!title.is_empty()).then_some(title)
                        });
                    }
                    continue;
                }
                if let Some(level) = name
                    .strip_prefix('h')
                    .and_then(|n| n.parse::<u8>().ok())
                    .filter(|l| (1..=6).contains(l))
                {
                    let text: String = scraper::ElementRef::wrap(node)
                        .map(|el| el.text().collect())
                        .unwrap_or_default();
                    sections.heading(level, text.split_whitespace().collect::<Vec<_>>().join(" "));
                    continue;
                }
                if name == "li" {
                    sections.text.push_str("- ");
                }
                if name == "br" {
                    sections.text.push('\n');
                }
                if name == "td" || name == "th" {
                    sections.text.push_str(" | ");
                }
                stack.push((node, true));
                let children: Vec<_> = node.children().collect();
                stack.extend(children.into_iter().rev().map(|c| (c, false)));
            }
            Node::Text(t) => sections.text.push_str(t),
            Node::Document | Node::Fragment => {
                let children: Vec<_> = node.children().collect();
                stack.extend(children.into_iter().rev().map(|c| (c, false)));
            }
            _ => {}
        }
    }
    let (first_h1, out) = sections.finish();
    (page_title.or(first_h1), out)
}

/// The end of the sentence or clause nearest before `limit` (a byte index
/// on a char boundary), for cutting a unit that is too long.
fn cut_point(text: &str, limit: usize) -> usize {
    let head = &text[..limit];
    let min = limit / 2;
    for pattern in ["\n", ". ", "다. ", "? ", "! ", ", ", " "] {
        if let Some(i) = head.rfind(pattern).filter(|&i| i >= min) {
            return i + pattern.len();
        }
    }
    limit
}

/// Byte index of the `n`th character (or the end).
fn char_index(text: &str, n: usize) -> usize {
    text.char_indices().nth(n).map_or(text.len(), |(i, _)| i)
}

/// Splits text into units no longer than [`CHUNK_CHARS`]: sentences where it
/// can, hard cuts only inside a sentence longer than a chunk.
fn units(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for paragraph in text.split("\n\n") {
        let mut rest = paragraph.trim();
        while !rest.is_empty() {
            // The next sentence: up to a full stop followed by a space or a line end.
            let end = rest
                .char_indices()
                .find(|&(i, c)| {
                    matches!(c, '.' | '?' | '!' | '\n')
                        && rest[i + c.len_utf8()..].starts_with([' ', '\n'])
                })
                .map_or(rest.len(), |(i, c)| i + c.len_utf8());
            let mut sentence = &rest[..end];
            rest = rest[end..].trim_start();
            while sentence.chars().count() > CHUNK_CHARS {
                let cut = cut_point(sentence, char_index(sentence, CHUNK_CHARS));
                out.push(sentence[..cut].trim().to_owned());
                sentence = sentence[cut..].trim_start();
            }
            if !sentence.trim().is_empty() {
                out.push(sentence.trim().to_owned());
            }
        }
        if let Some(last) = out.last_mut() {
            last.push('\n');
        }
    }
    out
}

/// Packs a section's units into chunks of at most [`CHUNK_CHARS`]; each
/// chunk after the first starts with the previous one's last units, up to
/// [`OVERLAP_CHARS`].
pub fn split(text: &str) -> Vec<String> {
    let units = units(text);
    let len = |u: &String| u.chars().count() + 1;
    let mut chunks = Vec::new();
    let mut current: Vec<&String> = Vec::new();
    let mut size = 0;
    let mut fresh = 0; // units in `current` not carried over
    for unit in &units {
        if size + len(unit) > CHUNK_CHARS && fresh > 0 {
            chunks.push(join(&current));
            let mut carried = Vec::new();
            let mut carried_size = 0;
            for u in current.iter().rev() {
                if carried_size + len(u) > OVERLAP_CHARS
                    || carried_size + len(u) + len(unit) > CHUNK_CHARS
                {
                    break;
                }
                carried_size += len(u);
                carried.push(*u);
            }
            carried.reverse();
            current = carried;
            size = carried_size;
            fresh = 0;
        }
        current.push(unit);
        size += len(unit);
        fresh += 1;
    }
    if fresh > 0 {
        chunks.push(join(&current));
    }
    chunks
}

fn join(units: &[&String]) -> String {
    let mut out = String::new();
    for u in units {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push(' ');
        }
        out.push_str(u);
    }
    out.trim().to_owned()
}

/// Every chunk of a document, in order.
pub fn chunks(document: &Document) -> Vec<Chunk> {
    let mut out = Vec::new();
    for section in &document.sections {
        let heading = if section.headings.is_empty() {
            document.title.clone()
        } else {
            section.headings.join(" > ")
        };
        for text in split(&section.text) {
            out.push(Chunk {
                doc: document.doc.clone(),
                lang: document.lang.clone(),
                path: document.path.clone(),
                title: document.title.clone(),
                heading: heading.clone(),
                position: out.len() as i32,
                text,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_sections_follow_headings() {
        let (title, sections) = load_markdown(
            "# Refunds\n\nIntro *text* with [a link](http://x).\n\n## Timing\n\nRefunds take `3` days.\n\n- one\n- two\n\n### Cards\n\nCard text.\n\n## Other\n\nMore.",
        );
        assert_eq!(title.as_deref(), Some("Refunds"));
        let heads: Vec<String> = sections.iter().map(|s| s.headings.join(" > ")).collect();
        assert_eq!(
            heads,
            [
                "Refunds",
                "Refunds > Timing",
                "Refunds > Timing > Cards",
                "Refunds > Other"
            ]
        );
        assert_eq!(sections[0].text, "Intro text with a link.");
        assert!(sections[1].text.contains("Refunds take 3 days."));
        assert!(sections[1].text.contains("- one\n- two"));
    }

    #[test]
    fn html_sections_follow_headings_and_skip_scripts() {
        let (title, sections) = load_html(
            "<html><head><title>배송 안내</title><style>p{}</style></head><body><nav>menu</nav>\
             <h1>배송</h1><p>평균 2일이 걸립니다.</p><script>var x=1;</script>\
             <h2>해외 배송</h2><ul><li>미국</li><li>일본</li></ul><p>a<br>b</p></body></html>",
        );
        assert_eq!(title.as_deref(), Some("배송 안내"));
        assert_eq!(sections.len(), 2);
        assert_eq!(sections[0].headings, ["배송"]);
        assert_eq!(sections[0].text, "평균 2일이 걸립니다.");
        assert_eq!(sections[1].headings, ["배송", "해외 배송"]);
        assert!(
            sections[1].text.contains("- 미국"),
            "{:?}",
            sections[1].text
        );
        assert!(
            !sections
                .iter()
                .any(|s| s.text.contains("var x") || s.text.contains("menu"))
        );
    }

    #[test]
    fn chunks_are_at_most_1000_characters_and_overlap() {
        let sentence =
            |i: usize| format!("Sentence number {i} says something useful about refunds. ");
        let text: String = (0..60).map(sentence).collect();
        let chunks = split(&text);
        assert!(chunks.len() >= 4, "{}", chunks.len());
        for c in &chunks {
            assert!(c.chars().count() <= CHUNK_CHARS, "{}", c.chars().count());
        }
        for pair in chunks.windows(2) {
            let tail: String = pair[0]
                .chars()
                .rev()
                .take(50)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            assert!(
                pair[1].contains(tail.trim()),
                "no overlap between {:?} and {:?}",
                pair[0],
                pair[1]
            );
            let overlap = pair[1]
                .find(tail.trim())
                .map(|i| i + tail.trim().len())
                .unwrap_or(0);
            assert!(overlap <= OVERLAP_CHARS + 60, "{overlap}");
        }
        // Every sentence survives.
        for i in 0..60 {
            assert!(chunks.iter().any(|c| c.contains(&format!("number {i} "))));
        }
    }

    #[test]
    fn a_sentence_longer_than_a_chunk_is_cut() {
        let long = "가나다라마바사 ".repeat(400);
        let chunks = split(&long);
        assert!(chunks.len() > 1);
        assert!(chunks.iter().all(|c| c.chars().count() <= CHUNK_CHARS));
    }

    #[test]
    fn the_shipped_corpus_loads() {
        let corpus =
            load_dir(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/help"))).unwrap();
        assert!(corpus.documents.len() >= 30, "{}", corpus.documents.len());
        for lang in LANGS {
            assert!(corpus.documents.iter().any(|d| d.lang == lang));
        }
        let chunks: Vec<Chunk> = corpus.documents.iter().flat_map(chunks).collect();
        assert!(chunks.iter().all(|c| c.text.chars().count() <= CHUNK_CHARS));
        assert!(chunks.len() > corpus.documents.len());
    }
}
