//! What the commands read: images, labels (and, as the families move here, tables, sequences,
//! categorical tables, ratings). Every family reads its input through this room.

pub mod categorical;
pub mod images;
pub mod labelled;
pub mod labels;
pub mod ratings;
pub mod sequences;
