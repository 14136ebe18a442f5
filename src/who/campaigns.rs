//! Campaigns: one text sent many times, as it is or with a word changed. The run already links
//! every exact duplicate and near-duplicate to its original ([`crate::stages::themes::
//! near_duplicates`]); a campaign is an original and its copies, from `--campaign-min` documents.
//! In passage mode a document is a copy when every one of its passages copies a passage of the
//! same other document.

/// Campaigns are groups of at least this many documents (`--campaign-min`).
pub const DEFAULT_MIN: usize = 5;

/// How a document copies its original.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Copy {
    Exact(usize),
    Near(usize),
}

impl Copy {
    pub fn original(self) -> usize {
        match self {
            Copy::Exact(o) | Copy::Near(o) => o,
        }
    }
}

/// An original and its copies, documents in input order.
#[derive(Debug, Clone, PartialEq)]
pub struct Members {
    pub original: usize,
    pub documents: Vec<usize>,
    pub exact: usize,
    pub near: usize,
}

/// One row of `campaigns.parquet`.
#[derive(Debug, Clone, PartialEq)]
pub struct Campaign {
    /// 1 for the largest.
    pub id: u32,
    pub size: usize,
    pub exact: usize,
    pub near: usize,
    /// The original's text, as published (pseudonymised, cut for a long document).
    pub text: String,
    pub theme_id: Option<u32>,
    pub category: String,
    pub first_id: String,
    pub last_id: String,
}

/// The campaigns of at least `min` documents, largest first (then the earliest original); each
/// copy points to an original that is no copy itself.
pub fn find(copy_of: &[Option<Copy>], min: usize) -> Vec<Members> {
    let mut groups: std::collections::BTreeMap<usize, Members> = Default::default();
    for (d, copy) in copy_of.iter().enumerate() {
        let Some(copy) = copy else { continue };
        let g = groups.entry(copy.original()).or_insert_with(|| Members {
            original: copy.original(),
            documents: vec![copy.original()],
            exact: 0,
            near: 0,
        });
        g.documents.push(d);
        match copy {
            Copy::Exact(_) => g.exact += 1,
            Copy::Near(_) => g.near += 1,
        }
    }
    let mut out: Vec<Members> = (groups.into_values())
        .filter(|g| g.documents.len() >= min.max(2))
        .map(|mut g| {
            g.documents.sort_unstable();
            g
        })
        .collect();
    out.sort_by(|a, b| {
        b.documents
            .len()
            .cmp(&a.documents.len())
            .then(a.original.cmp(&b.original))
    });
    out
}

/// Each document's campaign id (1-based, as in `campaigns.parquet`).
pub fn membership(campaigns: &[Members], documents: usize) -> Vec<Option<u32>> {
    let mut out = vec![None; documents];
    for (i, c) in campaigns.iter().enumerate() {
        for &d in &c.documents {
            out[d] = Some(i as u32 + 1);
        }
    }
    out
}

/// Passage mode: the document each document copies, from each passage's document and the
/// document of its original passage (`None` for a passage set aside).
pub fn copied_documents(
    documents: usize,
    passages: &[(usize, Option<(usize, bool)>)],
) -> Vec<Option<Copy>> {
    let mut seen: Vec<Option<(usize, bool)>> = vec![None; documents];
    let mut broken = vec![false; documents];
    for &(doc, original) in passages {
        let Some((other, exact)) = original else {
            continue;
        };
        match seen[doc] {
            _ if other == doc => broken[doc] = true,
            None => seen[doc] = Some((other, exact)),
            Some((o, e)) if o == other => seen[doc] = Some((o, e && exact)),
            Some(_) => broken[doc] = true,
        }
    }
    (0..documents)
        .map(|d| match (seen[d], broken[d]) {
            (Some((o, true)), false) => Some(Copy::Exact(o)),
            (Some((o, false)), false) => Some(Copy::Near(o)),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_form_campaigns_from_the_minimum() {
        let mut copy_of = vec![None; 20];
        for copy in &mut copy_of[1..6] {
            *copy = Some(Copy::Exact(0));
        }
        copy_of[7] = Some(Copy::Near(6));
        copy_of[8] = Some(Copy::Near(6));
        let found = find(&copy_of, 3);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].documents, vec![0, 1, 2, 3, 4, 5]);
        assert_eq!((found[0].exact, found[0].near), (5, 0));
        assert_eq!((found[1].exact, found[1].near), (0, 2));
        assert_eq!(find(&copy_of, 5).len(), 1);
        let m = membership(&found, 20);
        assert_eq!((m[0], m[6], m[9]), (Some(1), Some(2), None));
    }

    #[test]
    fn a_document_copies_only_when_all_its_passages_copy_one_other() {
        let passages = vec![
            (1, Some((0, true))),
            (1, Some((0, false))),
            (2, Some((0, true))),
            (2, Some((2, true))),
            (3, Some((0, true))),
            (3, Some((1, true))),
            (4, None),
        ];
        let c = copied_documents(5, &passages);
        assert_eq!(c, vec![None, Some(Copy::Near(0)), None, None, None]);
    }
}
