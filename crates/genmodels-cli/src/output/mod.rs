//! What the commands write: images (and, as the families move here, score reports and rows).
//! Every family writes its output through this room.

pub mod images;
pub mod metrics;
