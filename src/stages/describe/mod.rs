//! Describe: each theme's keywords and quotes (`keywords`), its title (`titles`), what each text
//! does (`kind`: proposition, experience, constat), everything published pseudonymised (`stage`).

pub mod keywords;
pub mod kind;
pub mod stage;
pub mod titles;
