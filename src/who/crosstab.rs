//! One `--by` breakdown as a table: a row per group × category (or theme), with shares, Wilson
//! intervals, expected counts, residuals and the Holm-adjusted verdict ([`super::stats`]).

use serde::{Deserialize, Serialize};

use super::stats::{self, Contingency};

/// Groups with fewer documents are kept in the tables, and marked: nothing can be said of them
/// (their cells' `direction` is `-`, whatever the residual).
pub const SMALL_GROUP: usize = 10;

/// Cells expected to hold fewer documents than this make the chi-square approximate.
const LOW_EXPECTED: f64 = 5.0;

/// Low-expected cells named in run.json; the rest are counted.
const NAMED_CELLS: usize = 20;

/// One cell of a breakdown: documents of a group in one category or theme.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub group: String,
    /// The category id, or the theme id as text.
    pub column: String,
    /// A theme's key (theme tables only).
    pub theme_key: Option<String>,
    /// The category (of the theme, in a theme table).
    pub category: String,
    pub documents: u64,
    pub group_documents: u64,
    pub row_share: f64,
    pub column_share: f64,
    pub share_low: f64,
    pub share_high: f64,
    pub expected: f64,
    pub residual: Option<f64>,
    pub p_adjusted: Option<f64>,
    pub direction: &'static str,
    pub small_group: bool,
}

/// What run.json says of one table.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct TableTest {
    /// Pearson's chi-square of independence (scipy's `chi2_contingency(correction=False)`);
    /// absent when fewer than two groups or columns have documents.
    pub chi_square: Option<ChiSquareRecord>,
    /// A document can count in several columns (passage mode, themes): the cells are not
    /// independent and the test is a guide, not an exact p-value.
    pub multi_label: bool,
    /// Cells with an expected count under 5, and the first of them.
    pub low_expected: usize,
    pub low_expected_cells: Vec<String>,
    /// Cells over- or under-represented (Holm-adjusted p < 0.05).
    pub significant_cells: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ChiSquareRecord {
    pub statistic: f64,
    pub dof: usize,
    pub p: f64,
    pub cramers_v: f64,
}

/// The columns of a table: an id, its category, and a theme key where it is a theme.
pub struct Columns {
    pub ids: Vec<String>,
    pub categories: Vec<String>,
    pub theme_keys: Vec<Option<String>>,
}

/// Builds the table of `groups` × `columns` from each counted document's group and columns.
pub fn crosstab(
    groups: &[String],
    group_of: &[usize],
    columns: &Columns,
    members: &[Vec<usize>],
) -> (Vec<Cell>, TableTest) {
    let width = columns.ids.len();
    let mut counts = vec![vec![0u64; width]; groups.len()];
    let mut sizes = vec![0u64; groups.len()];
    for (&g, cols) in group_of.iter().zip(members) {
        sizes[g] += 1;
        for &j in cols {
            counts[g][j] += 1;
        }
    }
    let table = Contingency::of(&counts);
    let column_total: Vec<u64> = (0..width)
        .map(|j| counts.iter().map(|r| r[j]).sum())
        .collect();
    let mut cells = Vec::with_capacity(groups.len() * width);
    let mut test = TableTest {
        chi_square: table.test.as_ref().map(|t| ChiSquareRecord {
            statistic: t.statistic,
            dof: t.dof,
            p: t.p,
            cramers_v: t.cramers_v,
        }),
        multi_label: members.iter().any(|m| m.len() > 1),
        ..TableTest::default()
    };
    for (g, name) in groups.iter().enumerate() {
        for (j, &total) in column_total.iter().enumerate() {
            let cell = cell(name, g, j, &counts, sizes[g], total, &table, columns);
            if cell.expected > 0.0 && cell.expected < LOW_EXPECTED {
                test.low_expected += 1;
                if test.low_expected_cells.len() < NAMED_CELLS {
                    test.low_expected_cells
                        .push(format!("{name} × {}", cell.column));
                }
            }
            test.significant_cells += usize::from(cell.direction != "-");
            cells.push(cell);
        }
    }
    (cells, test)
}

#[allow(clippy::too_many_arguments)]
fn cell(
    name: &str,
    g: usize,
    j: usize,
    counts: &[Vec<u64>],
    size: u64,
    column_total: u64,
    table: &Contingency,
    columns: &Columns,
) -> Cell {
    let documents = counts[g][j];
    let (share_low, share_high) = crate::evaluate::wilson(documents as usize, size as usize);
    let (residual, p_adjusted) = (table.residual[g][j], table.p_adjusted[g][j]);
    Cell {
        group: name.to_string(),
        column: columns.ids[j].clone(),
        theme_key: columns.theme_keys[j].clone(),
        category: columns.categories[j].clone(),
        documents,
        group_documents: size,
        row_share: ratio(documents, size),
        column_share: ratio(documents, column_total),
        share_low,
        share_high,
        expected: table.expected[g][j],
        residual,
        p_adjusted,
        // Nothing is said of a small group, however far its few documents lie.
        direction: match (size as usize) < SMALL_GROUP {
            true => "-",
            false => stats::direction(residual, p_adjusted),
        },
        small_group: (size as usize) < SMALL_GROUP,
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_and_margins_of_a_small_table() {
        let groups: Vec<String> = vec!["a".into(), "b".into()];
        let columns = Columns {
            ids: vec!["p1".into(), "p2".into()],
            categories: vec!["p1".into(), "p2".into()],
            theme_keys: vec![None, None],
        };
        let members = vec![vec![0], vec![0], vec![1], vec![1]];
        let (cells, test) = crosstab(&groups, &[0, 0, 0, 1], &columns, &members);
        assert_eq!(cells[0].documents, 2);
        assert_eq!(cells[0].group_documents, 3);
        assert!((cells[0].row_share - 2.0 / 3.0).abs() < 1e-12);
        assert!((cells[0].column_share - 1.0).abs() < 1e-12);
        assert!((cells[0].expected - 1.5).abs() < 1e-12);
        assert!(cells.iter().all(|c| c.small_group));
        assert_eq!(test.chi_square.unwrap().dof, 1);
        assert!(!test.multi_label);
        assert_eq!(test.low_expected, 4);
    }
}
