//! The "who says what" tables: `by_<column>` and `by_<column>_themes` (one row per group ×
//! category or theme), `cooccurrence`, `campaigns`.

use std::path::Path;

use anyhow::Result;
use polars::prelude::{Column, DataFrame};

use super::{CsvStyle, write_table};
use crate::who::campaigns::Campaign;
use crate::who::cooccurrence::Pair;
use crate::who::crosstab::Cell;

/// Writes `<stem>.parquet/.csv/.xlsx`: a breakdown by group, of categories (`theme` false) or
/// of themes.
pub fn write_breakdown(
    dir: &Path,
    stem: &str,
    cells: &[Cell],
    theme: bool,
    style: CsvStyle,
) -> Result<()> {
    let text = |f: &dyn Fn(&Cell) -> String| cells.iter().map(f).collect::<Vec<_>>();
    let float = |f: &dyn Fn(&Cell) -> f64| cells.iter().map(f).collect::<Vec<_>>();
    let maybe = |f: &dyn Fn(&Cell) -> Option<f64>| cells.iter().map(f).collect::<Vec<_>>();
    let count = |f: &dyn Fn(&Cell) -> u64| cells.iter().map(f).collect::<Vec<_>>();
    let mut cols = vec![Column::new("group".into(), text(&|c| c.group.clone()))];
    match theme {
        false => cols.push(Column::new("category".into(), text(&|c| c.column.clone()))),
        true => cols.extend([
            Column::new(
                "theme_id".into(),
                cells
                    .iter()
                    .map(|c| c.column.parse::<u32>().ok())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "theme_key".into(),
                cells
                    .iter()
                    .map(|c| c.theme_key.clone())
                    .collect::<Vec<_>>(),
            ),
            Column::new("category".into(), text(&|c| c.category.clone())),
        ]),
    }
    cols.extend([
        Column::new("documents".into(), count(&|c| c.documents)),
        Column::new("group_documents".into(), count(&|c| c.group_documents)),
        Column::new("row_share".into(), float(&|c| c.row_share)),
        Column::new("column_share".into(), float(&|c| c.column_share)),
        Column::new("share_low".into(), float(&|c| c.share_low)),
        Column::new("share_high".into(), float(&|c| c.share_high)),
        Column::new("expected".into(), float(&|c| c.expected)),
        Column::new("residual".into(), maybe(&|c| c.residual)),
        Column::new("p_adjusted".into(), maybe(&|c| c.p_adjusted)),
        Column::new("direction".into(), text(&|c| c.direction.to_string())),
        Column::new(
            "small_group".into(),
            cells.iter().map(|c| c.small_group).collect::<Vec<_>>(),
        ),
    ]);
    write_table(dir, stem, DataFrame::new(cells.len(), cols)?, style, &[])
}

/// Writes `cooccurrence.parquet/.csv/.xlsx`.
pub fn write_cooccurrence(dir: &Path, pairs: &[Pair], style: CsvStyle) -> Result<()> {
    let text = |f: &dyn Fn(&Pair) -> String| pairs.iter().map(f).collect::<Vec<_>>();
    let count = |f: &dyn Fn(&Pair) -> u64| pairs.iter().map(f).collect::<Vec<_>>();
    let cols = vec![
        Column::new("level".into(), text(&|p| p.level.to_string())),
        Column::new("a".into(), text(&|p| p.a.clone())),
        Column::new("b".into(), text(&|p| p.b.clone())),
        Column::new("documents_a".into(), count(&|p| p.documents_a)),
        Column::new("documents_b".into(), count(&|p| p.documents_b)),
        Column::new("documents_both".into(), count(&|p| p.documents_both)),
        Column::new(
            "jaccard".into(),
            pairs.iter().map(|p| p.jaccard).collect::<Vec<_>>(),
        ),
        Column::new(
            "lift".into(),
            pairs.iter().map(|p| p.lift).collect::<Vec<_>>(),
        ),
    ];
    write_table(
        dir,
        "cooccurrence",
        DataFrame::new(pairs.len(), cols)?,
        style,
        &[],
    )
}

/// Writes `campaigns.parquet/.csv/.xlsx`: one row per campaign.
pub fn write_campaigns(dir: &Path, campaigns: &[Campaign], style: CsvStyle) -> Result<()> {
    let text = |f: &dyn Fn(&Campaign) -> String| campaigns.iter().map(f).collect::<Vec<_>>();
    let count = |f: &dyn Fn(&Campaign) -> u32| campaigns.iter().map(f).collect::<Vec<_>>();
    let cols = vec![
        Column::new("campaign".into(), count(&|c| c.id)),
        Column::new("size".into(), count(&|c| c.size as u32)),
        Column::new("exact_copies".into(), count(&|c| c.exact as u32)),
        Column::new("near_copies".into(), count(&|c| c.near as u32)),
        Column::new("text".into(), text(&|c| c.text.clone())),
        Column::new(
            "theme_id".into(),
            campaigns.iter().map(|c| c.theme_id).collect::<Vec<_>>(),
        ),
        Column::new("category".into(), text(&|c| c.category.clone())),
        Column::new("first_id".into(), text(&|c| c.first_id.clone())),
        Column::new("last_id".into(), text(&|c| c.last_id.clone())),
    ];
    write_table(
        dir,
        "campaigns",
        DataFrame::new(campaigns.len(), cols)?,
        style,
        &[],
    )
}
