//! The report model as document blocks, in the order the HTML shows it: summary, one chapter per
//! category, who says what, the map, theme sizes, the evaluation, the methods, the annex.

use super::super::charts::{bar_chart, curve, scatter};
use super::super::who::{self, WhoSection};
use super::super::{CategorySection, Lang, Report, evaluation_rows};
use super::{Block, Properties, french};

/// Builds the blocks and the properties of `r`.
pub fn of(r: &Report) -> (Vec<Block>, Properties) {
    let mut b = Blocks { r, out: Vec::new() };
    b.summary();
    for (i, c) in r.categories.iter().enumerate() {
        b.chapter(c, i + 1);
    }
    if let Some(who) = &r.who {
        b.who(who);
    }
    b.figures();
    b.annex();
    let contents = match r.lang {
        Lang::Fr => "Sommaire",
        Lang::En => "Contents",
    };
    b.out.insert(1, Block::Contents(contents.into()));
    let properties = Properties {
        title: r.words.title.to_string(),
        date: r.finished_at.clone(),
        run_id: r.run_id.clone(),
        lang: r.lang.code(),
    };
    (b.out, properties)
}

struct Blocks<'a> {
    r: &'a Report,
    out: Vec<Block>,
}

impl Blocks<'_> {
    /// Our own sentence, with French typography in a French report.
    fn own(&self, s: &str) -> String {
        match self.r.lang {
            Lang::Fr => french(s),
            Lang::En => s.to_string(),
        }
    }

    fn heading(&mut self, level: u8, s: &str) {
        let text = self.own(s);
        self.out.push(Block::Heading(level, text));
    }

    fn paragraph(&mut self, s: &str) {
        let text = self.own(s);
        self.out.push(Block::Paragraph(text));
    }

    fn note(&mut self, s: &str) {
        let text = self.own(s);
        self.out.push(Block::Note(text));
    }

    fn table(&mut self, header: Vec<String>, rows: Vec<Vec<String>>) {
        let header = header.iter().map(|h| self.own(h)).collect();
        self.out.push(Block::Table(header, rows));
    }

    fn quotes(&mut self, texts: &[String], ids: &[String]) {
        for (q, id) in texts.iter().zip(ids) {
            self.out.push(Block::Quote(q.clone(), self.r.origin(id)));
        }
    }

    /// A chart as a picture file: the HTML's SVG with its size in its own units, not `100%`
    /// of a page that a picture does not have.
    fn chart(&mut self, svg: String) {
        let (w, h) = view_box(&svg);
        let svg = svg.replacen(
            "width=\"100%\"",
            &format!("width=\"{w}\" height=\"{h}\""),
            1,
        );
        self.out.push(Block::Chart(svg, w, h));
    }

    fn summary(&mut self) {
        let (r, w) = (self.r, self.r.words);
        self.out.push(Block::Title(self.own(w.title)));
        self.heading(1, w.glance);
        let figures = r
            .glance
            .iter()
            .map(|(v, l)| self.own(&format!("{v} {l}")))
            .collect();
        self.out.push(Block::Bullets(figures));
        if let Some(line) = r.rejected_line() {
            self.note(&line);
        }
        self.heading(2, &w.titled(w.share_per_category, r.unit_noun()));
        self.chart(bar_chart(&r.share_bars(), |v| w.pct(v)));
        let gold = r.categories.iter().any(|c| c.gold.is_some());
        let mut header = vec![String::new(), w.noun(2, r.unit_noun()).to_string()];
        if gold {
            header.push(w.in_tagging.to_string());
        }
        let rows = (r.categories.iter())
            .map(|c| {
                let mut row = vec![format!("{} — {}", c.id, c.name)];
                row.push(format!("{} ({})", c.rows, w.pct(c.share)));
                row.extend(gold.then(|| c.gold.map_or(String::new(), |g| g.describe(w))));
                row
            })
            .collect();
        self.table(header, rows);
    }

    /// One chapter: count and share, each theme (keywords, proposals, quotes), experiences.
    fn chapter(&mut self, c: &CategorySection, number: usize) {
        let (r, w) = (self.r, self.r.words);
        self.heading(
            1,
            &format!("{} {number} · {} — {}", w.chapter, c.id, c.name),
        );
        let unit = if c.raised.is_some() {
            w.document_n
        } else {
            w.testimony_n
        };
        let mut count = format!("{} ({})", w.count(c.rows, unit), w.pct(c.share));
        if let Some(raised) = c.raised {
            count += &format!(" ; {} {}", w.raised_by, w.count(raised, w.document_n));
        }
        self.paragraph(&format!("{count}."));
        if c.themes.is_empty() {
            self.paragraph(w.no_theme);
        }
        for th in &c.themes {
            let size = format!("{} {}, {}", th.size, r.unit_words(th), w.pct(th.share));
            self.heading(2, &format!("{} ({size})", th.title));
            self.paragraph(&format!("{} : {}", w.keywords, th.keywords.join(", ")));
            if !th.proposals.is_empty() {
                self.heading(3, w.proposals);
                self.quotes(&th.proposals, &th.proposal_ids);
            }
            self.heading(3, w.quotes);
            self.quotes(&th.quotes, &th.quote_ids);
        }
        if c.themes.iter().any(|th| !th.experiences.is_empty()) {
            self.heading(2, w.experiences);
            for th in &c.themes {
                self.quotes(&th.experiences, &th.experience_ids);
            }
        }
    }

    fn who(&mut self, who: &WhoSection) {
        let (r, w) = (self.r, who.words);
        self.heading(1, w.chapter);
        self.paragraph(&who.counts_line());
        if !who.campaigns.is_empty() {
            self.heading(2, w.campaigns);
            self.note(&who.campaigns_note());
            for c in &who.campaigns {
                self.paragraph(&who.campaign_line(c));
                self.out
                    .push(Block::Quote(c.text.clone(), format!("#{}", c.id)));
            }
        }
        for b in &who.breakdowns {
            self.heading(2, &b.column);
            self.note(w.by_note);
            let mut header = vec![w.group.to_string(), w.documents.to_string()];
            header.extend(b.categories.iter().map(|c| c.0.clone()));
            let pct = |v: f64| who::lang_pct(v, r.lang);
            let mut rows: Vec<Vec<String>> = (b.rows.iter())
                .map(|row| {
                    let mut cells = vec![row.group.clone(), row.documents.to_string()];
                    cells.extend(row.cells.iter().map(|(share, _, direction, _)| {
                        match direction.as_str() {
                            "over" => format!("{} ▲", pct(*share)),
                            "under" => format!("{} ▼", pct(*share)),
                            _ => pct(*share),
                        }
                    }));
                    cells
                })
                .collect();
            let mut all = vec![w.overall.to_string(), String::new()];
            all.extend(b.overall.iter().map(|v| pct(*v)));
            rows.push(all);
            self.table(header, rows);
            for line in b.test_lines(w) {
                self.note(&line);
            }
            if b.findings.is_empty() {
                self.paragraph(w.no_finding);
            }
            for f in &b.findings {
                self.paragraph(&f.sentence);
                for (text, origin) in &f.quotes {
                    self.out.push(Block::Quote(text.clone(), r.origin(origin)));
                }
            }
        }
        self.together(who);
        self.heading(2, w.saturation);
        self.paragraph(&who.saturation_line(r.lang));
        let points: Vec<_> = (who.saturation.points.iter())
            .map(|p| (p.contributions, p.themes_seen, p.lowest, p.highest))
            .collect();
        self.chart(curve(&points, w.axis_contributions, w.axis_themes));
        self.note(&who.saturation_note());
    }

    fn together(&mut self, who: &WhoSection) {
        let Some((labels, m)) = &who.together else {
            return;
        };
        self.heading(2, who.words.together);
        self.note(who.words.together_note);
        let mut header = vec![String::new()];
        header.extend(labels.iter().cloned());
        let rows = (labels.iter().zip(m))
            .map(|(l, row)| {
                std::iter::once(l.clone())
                    .chain(row.iter().map(u64::to_string))
                    .collect()
            })
            .collect();
        self.table(header, rows);
    }

    /// The map, the theme sizes, the evaluation and the methods.
    fn figures(&mut self) {
        let (r, w) = (self.r, self.r.words);
        if let Some(map) = &r.map {
            self.heading(1, &w.titled(w.map, r.size_noun()));
            self.note(&w.titled(w.map_note, r.size_noun()));
            self.chart(scatter(&map.points, &map.legend));
        }
        self.heading(1, w.sizes);
        self.chart(bar_chart(&r.sizes, |v| format!("{v:.0}")));
        if let Some(e) = &r.evaluation {
            self.heading(1, w.evaluation);
            let header = vec![
                w.figure.to_string(),
                w.value.to_string(),
                w.interval.to_string(),
            ];
            let rows = evaluation_rows(e, w)
                .into_iter()
                .map(|(a, b, c)| vec![a, b, c])
                .collect();
            self.table(header, rows);
            self.heading(2, w.confusion);
            self.note(w.confusion_note);
            let c = &e.confusion;
            let mut header = vec![String::new()];
            header.extend(c.labels.iter().cloned());
            let rows = (c.labels.iter().zip(&c.rows_gold_columns_predicted))
                .map(|(l, row)| {
                    std::iter::once(l.clone())
                        .chain(row.iter().map(|v| v.to_string()))
                        .collect()
                })
                .collect();
            self.table(header, rows);
        }
        self.heading(1, w.methods);
        let rows = r
            .methods
            .iter()
            .map(|(k, v)| vec![self.own(k), v.clone()])
            .collect();
        self.table(vec![String::new(), String::new()], rows);
    }

    /// Every proposal, by category then theme, as lists.
    fn annex(&mut self) {
        let (r, w) = (self.r, self.r.words);
        self.heading(1, w.annex);
        self.note(w.annex_note);
        for c in &r.categories {
            let theirs: Vec<_> = r.proposals.iter().filter(|p| p.pillar == c.id).collect();
            if theirs.is_empty() {
                continue;
            }
            self.heading(2, &format!("{} — {}", c.id, c.name));
            let mut theme = None;
            let mut items = Vec::new();
            for p in theirs {
                if theme != Some(p.theme_id) {
                    if !items.is_empty() {
                        self.out.push(Block::Bullets(std::mem::take(&mut items)));
                    }
                    self.heading(3, &format!("{} · {}", p.theme_id, r.title_of(p.theme_id)));
                    theme = Some(p.theme_id);
                }
                items.push(format!(
                    "« {} » [{}]",
                    p.text.replace('\n', " "),
                    r.origin(&p.origin)
                ));
            }
            self.out.push(Block::Bullets(items));
        }
    }
}

/// The width and height of an SVG's `viewBox`.
fn view_box(svg: &str) -> (f64, f64) {
    let found = svg.split("viewBox=\"").nth(1).and_then(|rest| {
        let values: Vec<f64> = (rest.split('"').next()?.split_whitespace())
            .filter_map(|v| v.parse().ok())
            .collect();
        (values.len() == 4).then(|| (values[2], values[3]))
    });
    found.unwrap_or((640.0, 400.0))
}
