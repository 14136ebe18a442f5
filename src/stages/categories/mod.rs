//! Categories: every text mapped onto the taxonomy (`mapping`: zero-shot, label-free, few-shot;
//! `discriminant`: the model they fit; `drift`: the self-training's check; `none`: the threshold
//! of `none`), from the manual tags of `--labels` (`tags`) when there are some (`stage`).

pub mod discriminant;
pub mod drift;
pub mod mapping;
pub mod none;
pub mod stage;
pub mod tags;
