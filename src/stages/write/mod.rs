//! Write: the Polars tables (`table`), every CSV's style and formula guard (`csv`), the
//! workbooks (`xlsx`) and the run record that seals them (`record`), wired in `stage`.

pub mod campaigns;
pub mod csv;
pub mod record;
pub mod stage;
pub mod table;
pub mod xlsx;
