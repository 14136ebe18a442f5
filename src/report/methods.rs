//! The report's methods table: how the run was made, one row per decision, in the report's
//! language.

use super::words::Words;
use crate::stages::write::record::RunRecord;

/// The methods table's rows: model, parameters, mapping, `none`, clustering, date, version,
/// input, and when they apply the self-training's check, the tags and the analyst's edits.
pub(super) fn rows(run: &RunRecord, w: &Words) -> Vec<(&'static str, String)> {
    let parameters = serde_json::to_string(&run.parameters).unwrap_or_default();
    let mut rows = vec![
        (
            w.model,
            format!("{} (sha256 {})", run.model.name, run.model.sha256),
        ),
        (
            w.parameters,
            format!("{parameters} ; {} {}", w.seed, run.parameters.seed),
        ),
        (w.mapping, run.mapping.method.clone()),
        (w.none_rule, none_line(&run.mapping, w)),
        (w.clustering, run.clustering.method.clone()),
        (w.date, run.timings.finished_at.clone()),
        (w.version, format!("verbatim {}", run.versions.verbatim)),
        (
            w.input,
            format!("{} (sha256 {})", run.input.path.display(), run.input.sha256),
        ),
    ];
    let check = run.mapping.self_training_check.as_ref();
    rows.extend(check.map(|c| {
        (
            w.self_check,
            self_check_line(c, run.mapping.self_training_rounds, w),
        )
    }));
    rows.extend(run.few_shot.as_ref().map(|f| (w.tags, tags_line(f, w))));
    rows.extend(edits_line(&run.edits, w).map(|line| (w.edits, line)));
    rows
}

/// The `none` rule, the threshold it resolved to and the rows it took.
fn none_line(m: &crate::stages::write::record::MappingRecord, w: &Words) -> String {
    let rule = if m.none_rule.starts_with("auto") {
        w.none_auto
    } else {
        w.none_fixed
    };
    (w.none_line)
        .replace("{rule}", rule)
        .replace("{threshold}", &w.decimal(m.none_threshold as f64, 3))
        .replace("{count}", &w.count(m.none, w.testimony_n))
}

/// What the self-training's drift check measured, and the round it undid, if any.
fn self_check_line(
    c: &crate::stages::categories::drift::SelfCheck,
    rounds: usize,
    w: &Words,
) -> String {
    let line = (w.self_check_line)
        .replace("{rounds}", &rounds.to_string())
        .replace("{placed}", &c.descriptions_in_place.to_string())
        .replace("{of}", &c.categories.to_string())
        .replace("{agreement}", &w.decimal(c.zero_shot_agreement, 3));
    match &c.drift {
        Some(why) => format!("{line}{}{why}", w.drift),
        None => line,
    }
}

/// What the analyst decided by hand, in one line: operations by kind, those that no longer
/// apply, and the earlier run whose keys the themes continue.
fn edits_line(e: &crate::stages::curate::EditsRecord, w: &Words) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(file) = &e.file {
        let mut kinds: std::collections::BTreeMap<&str, usize> = Default::default();
        for o in &e.operations {
            *kinds.entry(o.operation.as_str()).or_default() += 1;
        }
        let kinds: Vec<String> = kinds.iter().map(|(k, n)| format!("{k} {n}")).collect();
        parts.push(format!(
            "{} ({}; {})",
            w.count(e.operations.len(), w.edits_n),
            kinds.join(", "),
            file.display()
        ));
        if e.stale > 0 {
            parts.push(format!("{} {}", e.stale, w.noun(e.stale, w.edits_stale_n)));
        }
    }
    if let Some(run) = &e.previous_run_id {
        parts.push(format!(
            "{} / {} {} ({run})",
            e.keys_continued,
            e.keys_continued + e.keys_new,
            w.keys_continued
        ));
    }
    (!parts.is_empty()).then(|| parts.join(" ; "))
}

/// What the manual tags (`--labels`) taught and measured, in one line.
fn tags_line(f: &crate::stages::write::record::FewShotRecord, w: &Words) -> String {
    let mut line = format!("{} ({})", w.count(f.tagged, w.tags_n), f.labels.display());
    if let Some(cv) = &f.cross_validated_agreement {
        line += &format!(
            "; {} {:.3} ({} {})",
            w.cross_validated, cv.accuracy, cv.folds, w.folds
        );
    }
    let part = |name: &str, p: &crate::stages::write::record::Proportion| {
        format!(
            "; {name}: {} / {} = {:.3} [{:.3} ; {:.3}]",
            p.correct, p.tagged, p.accuracy, p.low, p.high
        )
    };
    if let Some(sample) = &f.sample {
        if let Some(p) = &sample.chosen {
            line += &part(w.chosen_part, p);
        }
        if let Some(p) = &sample.random {
            line += &part(w.random_part, p);
        }
    }
    line
}
