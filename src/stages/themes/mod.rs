//! Themes: near-duplicates set aside (`near_duplicates`), clustering within each category
//! (`cluster`), the 2-D map the report draws (`projection`), wired in `stage`.

pub mod cluster;
pub mod near_duplicates;
pub mod projection;
pub mod stage;
