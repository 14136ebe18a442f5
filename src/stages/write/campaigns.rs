//! The campaigns of this run ([`crate::who::campaigns`]) from its exact and near-duplicates:
//! `campaigns.*` and each document's `campaign` in the assignments.

use crate::pipeline::{Prepared, Themes};
use crate::privacy::Pseudonymiser;
use crate::stages::passages::stage::Passages;
use crate::stages::read::ingest::Corpus;
use crate::who::CampaignsRecord;
use crate::who::campaigns::{self, Campaign, Copy, Members};

/// A campaign's text in `campaigns.*` is cut after this many characters (a copied letter).
const TEXT_CHARS: usize = 1000;

/// The campaigns found, each document's campaign, and the record.
pub struct Found {
    pub campaigns: Vec<Campaign>,
    pub membership: Vec<Option<u32>>,
    pub record: CampaignsRecord,
}

/// What the campaigns' rows show of each document: its published theme and category.
pub struct Shown<'a> {
    pub theme_id: &'a [Option<u32>],
    pub pillar: &'a [Option<String>],
}

/// Finds the campaigns of at least `min` documents among the input's documents.
pub fn find(
    input: &Corpus,
    prepared: &Prepared,
    themes: &Themes,
    passages: Option<&Passages>,
    min: usize,
    shown: Shown,
    privacy: Option<&Pseudonymiser>,
) -> Found {
    let copy_of = match passages {
        None => (0..input.len())
            .map(|row| {
                let (original, exact) = original_row(prepared, themes, row)?;
                (original != row).then_some(match exact {
                    true => Copy::Exact(original),
                    false => Copy::Near(original),
                })
            })
            .collect(),
        Some(p) => {
            let rows: Vec<(usize, Option<(usize, bool)>)> = (0..p.document.len())
                .map(|row| {
                    let original = original_row(prepared, themes, row);
                    (p.document[row], original.map(|(o, e)| (p.document[o], e)))
                })
                .collect();
            campaigns::copied_documents(input.len(), &rows)
        }
    };
    let members = campaigns::find(&copy_of, min);
    let membership = campaigns::membership(&members, input.len());
    let rows: Vec<Campaign> = (members.iter().enumerate())
        .map(|(i, m)| row(i, m, input, &shown, privacy))
        .collect();
    Found {
        record: CampaignsRecord {
            min_size: min,
            campaigns: members.len(),
            documents: members.iter().map(|m| m.documents.len()).sum(),
            largest: members.first().map_or(0, |m| m.documents.len()),
        },
        campaigns: rows,
        membership,
    }
}

/// The row a unit copies (itself for an original), and whether every step was an exact copy.
fn original_row(prepared: &Prepared, themes: &Themes, row: usize) -> Option<(usize, bool)> {
    let d = prepared.distinct_of[row]?;
    let root = themes.near[d].unwrap_or(d);
    Some((prepared.distinct[root], themes.near[d].is_none()))
}

fn row(
    i: usize,
    m: &Members,
    input: &Corpus,
    shown: &Shown,
    privacy: Option<&Pseudonymiser>,
) -> Campaign {
    let text = &input.texts[m.original];
    let text = privacy.map_or(std::borrow::Cow::Borrowed(text.as_str()), |p| p.apply(text));
    let mut text: String = text.chars().take(TEXT_CHARS).collect();
    if input.texts[m.original].chars().count() > TEXT_CHARS {
        text.push('…');
    }
    Campaign {
        id: i as u32 + 1,
        size: m.documents.len(),
        exact: m.exact,
        near: m.near,
        text,
        theme_id: shown.theme_id[m.original],
        category: shown.pillar[m.original].clone().unwrap_or_default(),
        first_id: input.ids[m.documents[0]].clone(),
        last_id: input.ids[*m.documents.last().expect("a campaign has documents")].clone(),
    }
}
