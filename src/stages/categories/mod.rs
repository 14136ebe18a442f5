//! Categories: every text mapped onto the taxonomy (`mapping`: zero-shot, label-free, few-shot,
//! `none`), from the manual tags of `--labels` (`tags`) when there are some (`stage`).

pub mod mapping;
pub mod stage;
pub mod tags;
